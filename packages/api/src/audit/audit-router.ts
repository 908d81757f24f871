import {
  AuditExportInputSchema,
  AuditGetInputSchema,
  AuditHeadsInputSchema,
  AuditListInputSchema,
  AuditStatsInputSchema,
  AuditVerifyInputSchema,
  ResumeSchema,
} from "@tower/shared";
import { tracked, type TRPCRouterRecord } from "@trpc/server";
import { projectProcedure } from "../core/trpc";
import { exportAudit, signedAuditHeads } from "./audit-export-service";
import { getAudit, listAudit } from "./audit-service";
import { auditStats } from "./audit-stats";
import { streamAudit } from "./audit-stream";
import { verifyAuditChain } from "./audit-verify-service";

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
  /**
   * Walks the project's hash chain (on the reader thread; only rows new since the last verify
   * unless `full`) and compares it with the latest signed head: "intact, N rows", or the first row
   * that does not match, rows cut from the end, or a forged checkpoint. Admins only, one at a time
   * and a few a minute per project: it reads the whole trail.
   */
  verify: projectProcedure("admin")
    .input(AuditVerifyInputSchema)
    .query(({ ctx, input }) => verifyAuditChain(ctx, ctx.project.projectId, input)),
  /** The latest signed chain heads (newest first) and the public key, to keep outside the server. */
  heads: projectProcedure("viewer")
    .input(AuditHeadsInputSchema)
    .query(({ ctx, input }) => signedAuditHeads(ctx, ctx.project.projectId, input.limit)),
  /** The chain, whole rows with their links, oldest first, a page at a time (`tower audit export`). */
  export: projectProcedure("viewer")
    .input(AuditExportInputSchema)
    .query(({ ctx, input }) => exportAudit(ctx, ctx.project.projectId, input)),
  /** Live tail of new audit rows in batches (oldest first), resumable from the last row id. */
  onAppend: projectProcedure("viewer")
    .input(ResumeSchema)
    .subscription(async function* ({ ctx, input, signal }) {
      for await (const batch of streamAudit(ctx, ctx.project.projectId, input.lastEventId, signal, ctx.caller)) {
        yield tracked(String(batch.last), batch.rows);
      }
    }),
} satisfies TRPCRouterRecord;
