import {
  WorkflowCreateInputSchema,
  WorkflowIdInputSchema,
  WorkflowListInputSchema,
  WorkflowRunListInputSchema,
  WorkflowStartInputSchema,
  WorkflowUpdateInputSchema,
} from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { changeSubscription } from "../core/change-subscription";
import { projectProcedure } from "../core/trpc";
import { getWorkflowRun, listWorkflowRuns, startWorkflow, stopWorkflow } from "./workflow-runs";
import { createWorkflow, deleteWorkflow, getWorkflow, listWorkflows, updateWorkflow } from "./workflow-service";

/** Workflows: ordered steps for roles or named agents, started and stopped by operators, each step a run. */
export const workflowRouter = {
  list: projectProcedure("viewer")
    .input(WorkflowListInputSchema)
    .query(({ ctx, input }) => listWorkflows(ctx, ctx.project.projectId, input)),
  byId: projectProcedure("viewer")
    .input(WorkflowIdInputSchema)
    .query(({ ctx, input }) => getWorkflow(ctx, ctx.project.projectId, input.id)),
  create: projectProcedure("operator")
    .input(WorkflowCreateInputSchema)
    .mutation(({ ctx, input: { projectId: _projectId, ...fields } }) =>
      createWorkflow(ctx, ctx.project.projectId, fields, ctx.actor()),
    ),
  update: projectProcedure("operator")
    .input(WorkflowUpdateInputSchema)
    .mutation(({ ctx, input: { projectId: _projectId, id, ...changes } }) =>
      updateWorkflow(ctx, ctx.project.projectId, id, changes, ctx.actor()),
    ),
  delete: projectProcedure("operator")
    .input(WorkflowIdInputSchema)
    .mutation(({ ctx, input }) => deleteWorkflow(ctx, ctx.project.projectId, input.id, ctx.actor())),
  /** Queues the first step's run; each success queues the next. */
  start: projectProcedure("operator")
    .input(WorkflowStartInputSchema)
    .mutation(({ ctx, input }) => startWorkflow(ctx, ctx.project.projectId, input, ctx.actor())),
  /** Cancels the running step and skips the rest. */
  stop: projectProcedure("operator")
    .input(WorkflowIdInputSchema)
    .mutation(({ ctx, input }) => stopWorkflow(ctx, ctx.project.projectId, input.id, ctx.actor())),
  runs: projectProcedure("viewer")
    .input(WorkflowRunListInputSchema)
    .query(({ ctx, input }) => listWorkflowRuns(ctx, ctx.project.projectId, input)),
  runById: projectProcedure("viewer")
    .input(WorkflowIdInputSchema)
    .query(({ ctx, input }) => getWorkflowRun(ctx, ctx.project.projectId, input.id)),
  onChange: changeSubscription("workflow"),
  onRunChange: changeSubscription("workflowRun"),
} satisfies TRPCRouterRecord;
