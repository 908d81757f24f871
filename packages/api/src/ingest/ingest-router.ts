import { IngestInputSchema } from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { credentialIdOf } from "../core/deps";
import { projectProcedure } from "../core/trpc";
import { ingestReports } from "./ingest-service";

export const ingestRouter = {
  /**
   * A batch of events and metrics from agents. Every item is answered (stored, duplicate, or
   * rejected with the reason); the answer comes only after the commit.
   */
  report: projectProcedure("operator", { agents: true })
    .meta({ itemsCheckedOneByOne: true })
    .input(IngestInputSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.ingestThrottle.consume(credentialIdOf(ctx.caller) ?? "anonymous", input.items.length);
      return ingestReports(ctx, ctx.project.projectId, input.items, {
        actsAs: ctx.project.actsAs,
        via: ctx.caller.kind === "apiKey" ? ctx.caller.prefix : null,
      });
    }),
} satisfies TRPCRouterRecord;
