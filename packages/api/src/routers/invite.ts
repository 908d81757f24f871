import { IdSchema, InviteCreateInputSchema, InviteTokenInputSchema } from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { acceptInvite, createInvite, listInvites, previewInvite, revokeInvite } from "../services/invite-service";
import { projectProcedure, publicProcedure, userProcedure } from "../trpc";

export const inviteRouter = {
  list: projectProcedure("admin").query(({ ctx }) => listInvites(ctx, ctx.project.projectId)),
  create: projectProcedure("admin")
    .input(InviteCreateInputSchema)
    .mutation(({ ctx, input }) => {
      // Only users invite: an API key acts for software, not for people.
      if (ctx.caller.kind !== "user") throw new Error("unreachable: API keys never reach admin");
      return createInvite(ctx, ctx.project.projectId, ctx.caller.userId, input, ctx.actor());
    }),
  revoke: projectProcedure("admin")
    .input(z.object({ id: IdSchema }))
    .mutation(({ ctx, input }) => {
      revokeInvite(ctx, ctx.project.projectId, input.id, ctx.actor());
      return { ok: true };
    }),
  preview: publicProcedure.input(InviteTokenInputSchema).query(({ ctx, input }) => previewInvite(ctx, input.token)),
  accept: userProcedure
    .input(InviteTokenInputSchema)
    .mutation(({ ctx, input }) => acceptInvite(ctx, input.token, ctx.caller.userId)),
} satisfies TRPCRouterRecord;
