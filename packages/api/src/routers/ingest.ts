import { IngestInputSchema } from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { ingestReports } from "../services/ingest-service";
import { projectProcedure } from "../trpc";

export const ingestRouter = {
  /**
   * A batch of events and metrics from agents. Every item is answered (stored, duplicate, or
   * rejected with the reason); the answer comes only after the commit.
   */
  report: projectProcedure("operator")
    .input(IngestInputSchema)
    .mutation(({ ctx, input }) => ingestReports(ctx, ctx.project.projectId, input.items)),
} satisfies TRPCRouterRecord;
