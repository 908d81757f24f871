import {
  ApprovalDecideInputSchema,
  ApprovalIdInputSchema,
  ApprovalListInputSchema,
  GrantListInputSchema,
} from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { changeSubscription } from "../core/change-subscription";
import { projectProcedure } from "../core/trpc";
import { cancelApproval, countPendingApprovals, decideApproval, getApproval, listApprovals } from "./approval-service";
import { waitForApproval } from "./approval-wait";
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
    .subscription(({ ctx, input, signal }) => {
      // Checked when the subscription starts (not found, another agent's), not when it is first read.
      getApproval(ctx, ctx.project, input.id);
      return waitForApproval(ctx, ctx.project, ctx.caller, input.id, signal);
    }),
  /** Every approval created or changed, resumable from `lastEventId` (the live inbox). */
  onChange: changeSubscription("approval"),
} satisfies TRPCRouterRecord;

export const grantRouter = {
  list: projectProcedure("viewer")
    .input(GrantListInputSchema)
    .query(({ ctx, input }) => listGrants(ctx, ctx.project.projectId, input)),
  revoke: projectProcedure("operator")
    .input(ApprovalIdInputSchema)
    .mutation(({ ctx, input }) => revokeGrant(ctx, ctx.project, input.id, ctx.actor())),
  onChange: changeSubscription("grant"),
} satisfies TRPCRouterRecord;
