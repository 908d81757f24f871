import { AuditListInputSchema } from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { listAudit, verifyAudit } from "../services/audit-service";
import { projectProcedure } from "../trpc";

export const auditRouter = {
  list: projectProcedure("viewer")
    .input(AuditListInputSchema)
    .query(({ ctx, input }) => listAudit(ctx, ctx.project.projectId, input)),
  /** Walks the project's hash chain: "intact, N rows", or the first row that does not match. */
  verify: projectProcedure("viewer").query(({ ctx }) => verifyAudit(ctx.db, ctx.project.projectId)),
} satisfies TRPCRouterRecord;
