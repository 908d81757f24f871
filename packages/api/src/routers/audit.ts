import { AuditGetInputSchema, AuditListInputSchema, AuditStatsInputSchema, ResumeSchema } from "@tower/shared";
import { tracked, type TRPCRouterRecord } from "@trpc/server";
import { getAudit, listAudit, verifyAudit } from "../services/audit-service";
import { streamAudit } from "../services/audit-stream";
import { auditStats } from "../services/telemetry-service";
import { projectProcedure } from "../trpc";

export const auditRouter = {
  list: projectProcedure("viewer")
    .input(AuditListInputSchema)
    .query(({ ctx, input }) => listAudit(ctx, ctx.project.projectId, input)),
  /** One row with its hash-chain links (lists and the live tail leave them out). */
  get: projectProcedure("viewer")
    .input(AuditGetInputSchema)
    .query(({ ctx, input }) => getAudit(ctx, ctx.project.projectId, input.id)),
  stats: projectProcedure("viewer")
    .input(AuditStatsInputSchema)
    .query(({ ctx, input }) => auditStats(ctx, ctx.project.projectId, input)),
  /** Walks the project's hash chain: "intact, N rows", or the first row that does not match. */
  verify: projectProcedure("viewer").query(({ ctx }) => verifyAudit(ctx.db, ctx.project.projectId)),
  /** Live tail of new audit rows in batches (oldest first), resumable from the last row id. */
  onAppend: projectProcedure("viewer")
    .input(ResumeSchema)
    .subscription(async function* ({ ctx, input, signal }) {
      for await (const batch of streamAudit(ctx, ctx.project.projectId, input.lastEventId, signal, ctx.caller)) {
        yield tracked(String(batch.last), batch.rows);
      }
    }),
} satisfies TRPCRouterRecord;
