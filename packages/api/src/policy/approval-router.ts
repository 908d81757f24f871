import {
  ApprovalDecideInputSchema,
  ApprovalIdInputSchema,
  ApprovalListInputSchema,
  GrantListInputSchema,
  ResumeSchema,
} from "@tower/shared";
import { tracked, type TRPCRouterRecord } from "@trpc/server";
import { streamChanges } from "../core/change-stream";
import { projectProcedure } from "../core/trpc";
import {
  cancelApproval,
  countPendingApprovals,
  decideApproval,
  getApproval,
  listApprovals,
  waitForApproval,
} from "./approval-service";
import { listGrants, revokeGrant } from "./grant-service";

export const approvalRouter = {
  /** Newest first; `status: "pending"` is the inbox (not expired), "expired" includes unswept ones. */
  list: projectProcedure("viewer")
    .input(ApprovalListInputSchema)
    .query(({ ctx, input }) => listApprovals(ctx, ctx.project.projectId, input)),
  byId: projectProcedure("viewer", { agents: true })
    .input(ApprovalIdInputSchema)
    .query(({ ctx, input }) => getApproval(ctx, ctx.project, input.id)),
  pendingCount: projectProcedure("viewer").query(({ ctx }) => countPendingApprovals(ctx, ctx.project.projectId)),
  /** People with the policy's approver role decide; API keys never do. The first decision wins. */
  decide: projectProcedure("operator")
    .input(ApprovalDecideInputSchema)
    .mutation(({ ctx, input }) => decideApproval(ctx, ctx.project, ctx.caller, input, ctx.actor())),
  /** The asking agent withdraws its request (or an operator does). */
  cancel: projectProcedure("operator", { agents: true })
    .input(ApprovalIdInputSchema)
    .mutation(({ ctx, input }) => cancelApproval(ctx, ctx.project, input.id, ctx.actor())),
  /**
   * The approval's outcome, once it is no longer pending (at once if it already is not); then the
   * stream ends. How the SDK waits for a person, resuming by id after a reconnect or a restart.
   */
  wait: projectProcedure("viewer", { agents: true })
    .input(ApprovalIdInputSchema)
    .subscription(({ ctx, input, signal }) => waitForApproval(ctx, ctx.project, ctx.caller, input.id, signal)),
  /** Every approval created or changed, resumable from `lastEventId` (the live inbox). */
  onChange: projectProcedure("viewer")
    .input(ResumeSchema)
    .subscription(async function* ({ ctx, input, signal }) {
      const changes = streamChanges(ctx, {
        projectId: ctx.project.projectId,
        entity: "approval",
        lastEventId: input.lastEventId,
        signal,
        caller: ctx.caller,
      });
      for await (const event of changes) yield tracked(event.id, event);
    }),
} satisfies TRPCRouterRecord;

export const grantRouter = {
  list: projectProcedure("viewer")
    .input(GrantListInputSchema)
    .query(({ ctx, input }) => listGrants(ctx, ctx.project.projectId, input)),
  revoke: projectProcedure("operator")
    .input(ApprovalIdInputSchema)
    .mutation(({ ctx, input }) => revokeGrant(ctx, ctx.project, input.id, ctx.actor())),
  onChange: projectProcedure("viewer")
    .input(ResumeSchema)
    .subscription(async function* ({ ctx, input, signal }) {
      const changes = streamChanges(ctx, {
        projectId: ctx.project.projectId,
        entity: "grant",
        lastEventId: input.lastEventId,
        signal,
        caller: ctx.caller,
      });
      for await (const event of changes) yield tracked(event.id, event);
    }),
} satisfies TRPCRouterRecord;
