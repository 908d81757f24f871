import { ApiKeyCreateInputSchema, ApiKeyRevokeInputSchema } from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { apiKeyProcedure, projectProcedure } from "../core/trpc";
import { createApiKey, listApiKeys, revokeApiKey } from "./api-key-service";

export const apiKeyRouter = {
  list: projectProcedure("admin").query(({ ctx }) => listApiKeys(ctx, ctx.project.projectId)),
  create: projectProcedure("admin")
    .input(ApiKeyCreateInputSchema)
    .mutation(({ ctx, input }) => createApiKey(ctx, ctx.project.projectId, input, ctx.actor())),
  revoke: projectProcedure("admin")
    .input(ApiKeyRevokeInputSchema)
    .mutation(({ ctx, input }) => {
      revokeApiKey(ctx, ctx.project.projectId, input.id, ctx.actor());
      return { ok: true };
    }),
  /** Which project and scopes the calling key has; the SDK's first call. */
  whoami: apiKeyProcedure.query(({ ctx }) => ({
    projectId: ctx.caller.projectId,
    scopes: ctx.caller.scopes,
    agentNames: ctx.caller.agentNames,
  })),
} satisfies TRPCRouterRecord;
