import {
  PushDeviceIdInputSchema,
  PushListInputSchema,
  PushSubscribeInputSchema,
  PushUpdateInputSchema,
} from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { actorOf } from "../core/actor";
import { userProcedure } from "../core/trpc";
import { listDevices, pushConfig, removeDevice, subscribe, testDevice, updateDevice } from "./push-service";

/**
 * Web push for the signed-in person's own devices. People only: notifications go to a person's
 * browser, so API keys never reach these, and each call sees the caller's own devices only.
 */
export const pushRouter = {
  /** The VAPID public key to subscribe with, and whether this server sends notifications (else why not). */
  config: userProcedure.query(({ ctx }) => pushConfig(ctx)),
  /** Stores (or refreshes) this browser's subscription for the caller; upsert by endpoint. */
  subscribe: userProcedure
    .input(PushSubscribeInputSchema)
    .mutation(({ ctx, input }) => subscribe(ctx, ctx.caller.userId, input, actorOf(ctx, ctx.caller), ctx.client)),
  /** The caller's devices, oldest first; with `currentEndpoint`, this browser's is marked `current`. */
  list: userProcedure
    .input(PushListInputSchema)
    .query(({ ctx, input }) => listDevices(ctx, ctx.caller.userId, input?.currentEndpoint)),
  /** What one of the caller's devices receives, or its label. */
  update: userProcedure
    .input(PushUpdateInputSchema)
    .mutation(({ ctx, input }) => updateDevice(ctx, ctx.caller.userId, input)),
  remove: userProcedure
    .input(PushDeviceIdInputSchema)
    .mutation(({ ctx, input }) => removeDevice(ctx, ctx.caller.userId, input.id, actorOf(ctx, ctx.caller), ctx.client)),
  /** A test notification to one of the caller's devices, with what the push service answered. */
  test: userProcedure
    .input(PushDeviceIdInputSchema)
    .mutation(({ ctx, input }) => testDevice(ctx, ctx.caller.userId, input.id)),
} satisfies TRPCRouterRecord;
