import { IdSchema, InviteCreateInputSchema, InviteTokenInputSchema } from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { actorOf } from "../core/actor";
import { DomainError } from "../core/errors";
import { projectProcedure, publicProcedure, userProcedure } from "../core/trpc";
import { acceptInvite, createInvite, listInvites, previewInvite, revokeInvite } from "./invite-service";

export const inviteRouter = {
  list: projectProcedure("admin").query(({ ctx }) => listInvites(ctx, ctx.project.projectId)),
  create: projectProcedure("admin")
    .input(InviteCreateInputSchema)
    .mutation(({ ctx, input }) => {
      // Only people invite people: even an admin key acts for software.
      if (ctx.caller.kind !== "user") throw new DomainError("FORBIDDEN", "Only a signed-in member can invite people");
      return createInvite(ctx, ctx.project.projectId, ctx.caller.userId, input, ctx.actor());
    }),
  revoke: projectProcedure("admin")
    .input(z.object({ id: IdSchema }))
    .mutation(({ ctx, input }) => {
      revokeInvite(ctx, ctx.project.projectId, input.id, ctx.actor());
      return { ok: true };
    }),
  /**
   * A mutation, not a query, though it changes nothing: a query's input travels in the GET URL,
   * which proxies and access logs keep, and the token is a secret until it is used.
   */
  preview: publicProcedure.input(InviteTokenInputSchema).mutation(({ ctx, input }) => previewInvite(ctx, input.token)),
  accept: userProcedure
    .input(InviteTokenInputSchema)
    .mutation(({ ctx, input }) =>
      acceptInvite(ctx, input.token, { ...actorOf(ctx, ctx.caller), id: ctx.caller.userId }),
    ),
} satisfies TRPCRouterRecord;
