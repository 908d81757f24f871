import type { TRPCRouterRecord } from "@trpc/server";
import { credentialIdOf } from "../core/deps";
import { projectProcedure } from "../core/trpc";
import { ingestReports } from "./ingest-service";
import { ReportInput } from "./raw-reports";

export const ingestRouter = {
  /**
   * A batch of events and metrics from agents. Every item is answered (stored, duplicate, or
   * rejected with the reason); the answer comes only after the commit.
   */
  report: projectProcedure("operator", { agents: true })
    .meta({ itemsCheckedOneByOne: true })
    .input(ReportInput)
    .mutation(async ({ ctx, input }) => {
      const reports = "raw" in input ? input.raw : input.items;
      const count = "raw" in input ? input.raw.items : input.items.length;
      await ctx.ingestThrottle.consume(credentialIdOf(ctx.caller) ?? "anonymous", count);
      return ingestReports(ctx, ctx.project.projectId, reports, {
        actsAs: ctx.project.actsAs,
        via: ctx.caller.kind === "apiKey" ? ctx.caller.prefix : null,
      });
    }),
} satisfies TRPCRouterRecord;
