import {
  RunAssignmentsInputSchema,
  RunCompleteInputSchema,
  RunFailInputSchema,
  RunHeartbeatInputSchema,
  RunIdInputSchema,
  RunListInputSchema,
  RunReportInputSchema,
  RunLogListInputSchema,
} from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { changeSubscription } from "../core/change-subscription";
import { projectProcedure } from "../core/trpc";
import { completeRun, failRun, heartbeatRun, reportRuns } from "./run-agent-calls";
import { runAssignments } from "./run-assignments";
import { cancelRun, retryRun } from "./run-control";
import { getRun, listRunLogs, listRuns } from "./run-queries";

export const runRouter = {
  list: projectProcedure("viewer")
    .input(RunListInputSchema)
    .query(({ ctx, input }) => listRuns(ctx, ctx.project.projectId, input)),
  byId: projectProcedure("viewer", { agents: true })
    .input(RunIdInputSchema)
    .query(({ ctx, input }) => getRun(ctx, ctx.project, input.id)),
  logs: projectProcedure("viewer", { agents: true })
    .input(RunLogListInputSchema)
    .query(({ ctx, input }) => listRunLogs(ctx, ctx.project, input)),
  cancel: projectProcedure("operator")
    .input(RunIdInputSchema)
    .mutation(({ ctx, input }) => cancelRun(ctx, ctx.project.projectId, input.id, ctx.actor())),
  retry: projectProcedure("operator")
    .input(RunIdInputSchema)
    .mutation(({ ctx, input }) => retryRun(ctx, ctx.project.projectId, input.id, ctx.actor())),
  /**
   * An agent waits for work: runs it may take are claimed for it and pushed as they are queued (up
   * to `concurrency` held at once), and so is word of a held run being cancelled or taken back.
   */
  assignments: projectProcedure("operator", { agents: true })
    .input(RunAssignmentsInputSchema)
    .subscription(({ ctx, input, signal }) =>
      runAssignments(ctx, ctx.project, ctx.caller, input, ctx.work.leaseMs, signal),
    ),
  /** The holder is working on it: renews the lease, carries progress and logs, answers whether to cancel. */
  heartbeat: projectProcedure("operator", { agents: true })
    .input(RunHeartbeatInputSchema)
    .mutation(({ ctx, input }) => heartbeatRun(ctx, ctx.project, input, ctx.work.leaseMs)),
  complete: projectProcedure("operator", { agents: true })
    .input(RunCompleteInputSchema)
    .mutation(({ ctx, input }) => completeRun(ctx, ctx.project, input)),
  /** The attempt failed (or stopped after a cancel): retried after the backoff while attempts remain. */
  fail: projectProcedure("operator", { agents: true })
    .input(RunFailInputSchema)
    .mutation(({ ctx, input }) => failRun(ctx, ctx.project, input)),
  /**
   * Heartbeats, completions and failures of many held runs in one call and one commit (what
   * `agent.work` sends); each report is answered alone, in order.
   */
  report: projectProcedure("operator", { agents: true })
    .input(RunReportInputSchema)
    .mutation(({ ctx, input }) => reportRuns(ctx, ctx.project, input.reports, ctx.work.leaseMs)),
  onChange: changeSubscription("run"),
} satisfies TRPCRouterRecord;
