import {
  SchedulePreviewInputSchema,
  TaskCreateInputSchema,
  TaskEnqueueManyInputSchema,
  TaskIdInputSchema,
  TaskListInputSchema,
  TaskRunNowInputSchema,
  TaskUpdateInputSchema,
} from "@tower/shared";
import type { TRPCRouterRecord } from "@trpc/server";
import { changeSubscription } from "../core/change-subscription";
import { projectProcedure } from "../core/trpc";
import { enqueueRuns, runTaskNow } from "./run-enqueue";
import { previewSchedule } from "./schedule";
import { createTask, deleteTask, getTask, listTasks, updateTask } from "./task-service";

export const taskRouter = {
  list: projectProcedure("viewer")
    .input(TaskListInputSchema)
    .query(({ ctx, input }) => listTasks(ctx, ctx.project.projectId, input)),
  byId: projectProcedure("viewer")
    .input(TaskIdInputSchema)
    .query(({ ctx, input }) => getTask(ctx, ctx.project.projectId, input.id)),
  /** The next fire times of a cron expression in a time zone, for the task form (nothing is saved). */
  preview: projectProcedure("viewer")
    .input(SchedulePreviewInputSchema)
    .query(({ ctx, input }) => previewSchedule(input.cron, input.timezone, ctx.clock.now())),
  create: projectProcedure("operator")
    .input(TaskCreateInputSchema)
    .mutation(({ ctx, input: { projectId: _projectId, ...fields } }) =>
      createTask(ctx, ctx.project.projectId, fields, ctx.actor()),
    ),
  /** Changes only the fields given; pausing (`paused: true`) stops the schedule, resuming computes its next fire. */
  update: projectProcedure("operator")
    .input(TaskUpdateInputSchema)
    .mutation(({ ctx, input: { projectId: _projectId, id, ...changes } }) =>
      updateTask(ctx, ctx.project.projectId, id, changes, ctx.actor()),
    ),
  delete: projectProcedure("operator")
    .input(TaskIdInputSchema)
    .mutation(({ ctx, input }) => deleteTask(ctx, ctx.project.projectId, input.id, ctx.actor())),
  /** Queues a run now (by id, or by name from an app: `tower.tasks.enqueue`), with the task's input or another. */
  runNow: projectProcedure("operator")
    .input(TaskRunNowInputSchema)
    .mutation(({ ctx, input }) => runTaskNow(ctx, ctx.project.projectId, input, ctx.actor())),
  /** Many runs of one task, by its name, in one transaction: `tower.tasks.enqueueMany`. */
  enqueueMany: projectProcedure("operator")
    .input(TaskEnqueueManyInputSchema)
    .mutation(({ ctx, input }) => enqueueRuns(ctx, ctx.project.projectId, input, ctx.actor())),
  onChange: changeSubscription("task"),
} satisfies TRPCRouterRecord;
