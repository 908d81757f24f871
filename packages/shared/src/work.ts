import { z } from "zod";
import { IdSchema, NameSchema, PageLimitSchema } from "./common";
import { LIMITS } from "./domain/limits";
import { jsonBytes, MISSED_FIRE_POLICIES, RUN_STATUSES, STEP_FAILURE_POLICIES, WORK_LIMITS } from "./domain/work";

// Work contracts: tasks, their schedules, runs and what agents send while they hold one. Types and
// constants are in ./domain/work.ts.

/** Any JSON value, at most `WORK_LIMITS.jsonBytes` bytes of it: a run's output. */
export const WorkJsonSchema = z.json().refine((value) => jsonBytes(value) <= WORK_LIMITS.jsonBytes, {
  message: `Must be at most ${WORK_LIMITS.jsonBytes} bytes of JSON`,
});

/** A JSON object, at most `WORK_LIMITS.jsonBytes` bytes: a task's or run's input. */
export const WorkInputSchema = z
  .record(z.string().max(LIMITS.shortTextLength), z.json())
  .refine((value) => jsonBytes(value) <= WORK_LIMITS.jsonBytes, {
    message: `Input must be at most ${WORK_LIMITS.jsonBytes} bytes of JSON`,
  });

export const TaskTargetSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("agent"), value: NameSchema }),
  z.object({ kind: z.literal("role"), value: NameSchema }),
  z.object({ kind: z.literal("any"), value: z.null().default(null) }),
]);

/**
 * A cron expression as croner reads it (5 fields, 6 with seconds first, 7 with a year last, or a
 * nickname such as `@hourly`); checked by the server.
 */
export const CronSchema = z
  .string()
  .trim()
  .min(1, { error: "Enter a cron expression, or leave the schedule off", abort: true })
  .max(120, "A cron expression must be at most 120 characters");

/** An IANA time zone name (`Europe/Paris`, `UTC`); checked by the server. */
export const TimeZoneSchema = z
  .string()
  .trim()
  .min(1, "Choose a time zone")
  .max(64, "A time zone name must be at most 64 characters");

const seconds = (min: number, max: number, what: string) =>
  z
    .number({ error: `${what} must be a number of seconds` })
    .int(`${what} must be whole seconds`)
    .min(min, `${what} must be at least ${min} s`)
    .max(max, `${what} must be at most ${max} s`);

const priority = z.number().int().min(-WORK_LIMITS.priority).max(WORK_LIMITS.priority);

/** A task's fields without defaults: an update changes only those given. */
const taskFields = {
  name: NameSchema,
  description: z.string().trim().max(LIMITS.descriptionLength),
  target: TaskTargetSchema,
  input: WorkInputSchema,
  priority,
  maxAttempts: z
    .number()
    .int()
    .min(1, "At least one attempt")
    .max(WORK_LIMITS.attempts, `At most ${WORK_LIMITS.attempts} attempts`),
  backoffSeconds: seconds(0, WORK_LIMITS.backoffSeconds, "Backoff"),
  maxDurationSeconds: seconds(1, WORK_LIMITS.durationSeconds, "Maximum duration"),
  queuedTtlSeconds: seconds(1, WORK_LIMITS.queuedTtlSeconds, "Time to live in the queue").nullable(),
  cron: CronSchema.nullable(),
  timezone: TimeZoneSchema,
  missedFires: z.enum(MISSED_FIRE_POLICIES),
  paused: z.boolean(),
};

export const TaskCreateInputSchema = z.object({
  projectId: IdSchema.optional(),
  ...taskFields,
  description: taskFields.description.default(""),
  target: taskFields.target.default({ kind: "any", value: null }),
  input: taskFields.input.default({}),
  priority: priority.default(0),
  maxAttempts: taskFields.maxAttempts.default(1),
  backoffSeconds: taskFields.backoffSeconds.default(10),
  maxDurationSeconds: taskFields.maxDurationSeconds.default(3_600),
  queuedTtlSeconds: taskFields.queuedTtlSeconds.default(null),
  cron: taskFields.cron.default(null),
  timezone: taskFields.timezone.default("UTC"),
  missedFires: taskFields.missedFires.default("run_once"),
  paused: taskFields.paused.default(false),
});
export type TaskCreateInput = z.input<typeof TaskCreateInputSchema>;

/** Only the fields given change. */
export const TaskUpdateInputSchema = z
  .object({ projectId: IdSchema.optional(), id: IdSchema })
  .extend(z.object(taskFields).partial().shape);
export type TaskUpdateInput = z.input<typeof TaskUpdateInputSchema>;

export const TaskIdInputSchema = z.object({ projectId: IdSchema.optional(), id: IdSchema });

export const TaskListInputSchema = z.object({
  projectId: IdSchema.optional(),
  /** Part of the name, any case. */
  search: z.string().trim().max(LIMITS.shortTextLength).optional(),
  scheduled: z.boolean().optional(),
  limit: PageLimitSchema,
  cursor: z.string().max(200).nullish(),
});

export const SchedulePreviewInputSchema = z.object({
  projectId: IdSchema.optional(),
  cron: CronSchema,
  timezone: TimeZoneSchema.default("UTC"),
});

/**
 * An app's key for one run, unique in the project: queueing again with it answers the run the first
 * call made (for as long as that run is kept) instead of making another, so a call whose answer was
 * lost can be repeated safely.
 */
export const IdempotencyKeySchema = z
  .string()
  .min(1, "An idempotency key cannot be empty")
  .max(
    WORK_LIMITS.idempotencyKeyLength,
    `An idempotency key must be at most ${WORK_LIMITS.idempotencyKeyLength} characters`,
  );

/** Start a run of a task now, by id (dashboard) or by name (apps), optionally with other input. */
export const TaskRunNowInputSchema = z
  .object({
    projectId: IdSchema.optional(),
    id: IdSchema.optional(),
    task: NameSchema.optional(),
    input: WorkInputSchema.optional(),
    priority: priority.optional(),
    idempotencyKey: IdempotencyKeySchema.optional(),
  })
  .refine((value) => (value.id === undefined) !== (value.task === undefined), {
    message: "Give the task's id or its name (one of them)",
    path: ["task"],
  });
export type TaskRunNowInput = z.input<typeof TaskRunNowInputSchema>;

/**
 * Many runs of one task at once, each with its input (or the task's) and priority: one transaction,
 * for an app that queues work in bulk (`tower.tasks.enqueueMany`).
 */
export const TaskEnqueueManyInputSchema = z.object({
  projectId: IdSchema.optional(),
  task: NameSchema,
  runs: z
    .array(
      z.object({
        input: WorkInputSchema.optional(),
        priority: priority.optional(),
        idempotencyKey: IdempotencyKeySchema.optional(),
      }),
    )
    .min(1, "Give at least one run")
    .max(WORK_LIMITS.enqueuePerCall, `At most ${WORK_LIMITS.enqueuePerCall} runs per call`)
    .superRefine((runs, ctx) => {
      const first = new Map<string, number>();
      runs.forEach(({ idempotencyKey: key }, index) => {
        if (key === undefined) return;
        const earlier = first.get(key);
        if (earlier === undefined) return void first.set(key, index);
        ctx.addIssue({
          code: "custom",
          path: [index, "idempotencyKey"],
          message: `The idempotency key "${key}" is also run ${earlier}'s: a key names one run`,
        });
      });
    }),
});
export type TaskEnqueueManyInput = z.input<typeof TaskEnqueueManyInputSchema>;

export const RunIdInputSchema = z.object({ projectId: IdSchema.optional(), id: IdSchema });

export const RunListInputSchema = z.object({
  projectId: IdSchema.optional(),
  status: z.enum(RUN_STATUSES).optional(),
  taskId: IdSchema.optional(),
  agentId: IdSchema.optional(),
  /** Part of the task's name, the agent's name or the error, any case. */
  search: z.string().trim().max(LIMITS.shortTextLength).optional(),
  limit: PageLimitSchema,
  cursor: z.string().max(200).nullish(),
});

const logLine = z.string().transform((line) => line.slice(0, WORK_LIMITS.logLineLength));

/** The attempt the agent holds: a call about an earlier attempt (its lease lapsed meanwhile) is refused. */
// Not capped at a task's attempts: an agent that gives a run back unfinished adds one (it spends none).
const attempt = z.number().int().min(1).optional();

export const RunHeartbeatInputSchema = z.object({
  projectId: IdSchema.optional(),
  id: IdSchema,
  attempt,
  progress: z.number().min(0, "Progress is 0 to 100").max(100, "Progress is 0 to 100").optional(),
  message: z.string().max(WORK_LIMITS.progressMessageLength).optional(),
  logs: z.array(logLine).max(WORK_LIMITS.logLinesPerCall).optional(),
});
export type RunHeartbeatInput = z.input<typeof RunHeartbeatInputSchema>;

export const RunCompleteInputSchema = z.object({
  projectId: IdSchema.optional(),
  id: IdSchema,
  attempt,
  output: WorkJsonSchema.optional(),
  logs: z.array(logLine).max(WORK_LIMITS.logLinesPerCall).optional(),
});

export const RunFailInputSchema = z.object({
  projectId: IdSchema.optional(),
  id: IdSchema,
  attempt,
  error: z.string().transform((error) => error.slice(0, WORK_LIMITS.errorLength)),
  logs: z.array(logLine).max(WORK_LIMITS.logLinesPerCall).optional(),
});

/**
 * What an agent has to say about the runs it holds, many at once (the SDK sends what piled up while
 * the previous call was out): each is a heartbeat, a completion or a failure, as the single calls.
 */
const { projectId: _h, ...heartbeat } = RunHeartbeatInputSchema.shape;
const { projectId: _c, ...complete } = RunCompleteInputSchema.shape;
const { projectId: _f, ...fail } = RunFailInputSchema.shape;
/**
 * The sender's id for a report, unique to it: a report sent again because its answer was lost (the
 * connection dropped after Tower stored it) is answered as stored instead of refused as stale.
 */
const reportId = z.string().min(1).max(64, "A report id is at most 64 characters").optional();
export const RunReportSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("heartbeat"), reportId, ...heartbeat }),
  z.object({ kind: z.literal("complete"), reportId, ...complete }),
  z.object({ kind: z.literal("fail"), reportId, ...fail }),
  // The agent is stopping and gives the run back unfinished: queued again at once, no attempt spent.
  z.object({ kind: z.literal("release"), reportId, id: IdSchema, attempt, logs: fail.logs }),
]);
export type RunReport = z.input<typeof RunReportSchema>;

export const RunReportInputSchema = z.object({
  projectId: IdSchema.optional(),
  reports: z
    .array(RunReportSchema)
    .min(1, "Give at least one report")
    .max(WORK_LIMITS.reportsPerCall, `At most ${WORK_LIMITS.reportsPerCall} reports per call`),
});

export const RunLogListInputSchema = z.object({
  projectId: IdSchema.optional(),
  id: IdSchema,
  afterId: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1_000).default(500),
});

/**
 * An agent waits for runs: Tower pushes runs while the agent holds fewer than `concurrency` (the runs
 * it holds already count, after a reconnect too) and word of those it holds being cancelled.
 */
export const RunAssignmentsInputSchema = z.object({
  projectId: IdSchema.optional(),
  agent: NameSchema,
  concurrency: z.number().int().min(1).max(WORK_LIMITS.concurrency).default(1),
  /**
   * Runs claimed together come in one `runs` message instead of a `run` message each (a message
   * costs both sides more than the run in it). Off for clients that know only `run`.
   */
  batch: z.boolean().default(false),
});

export const WorkflowStepSchema = z.object({
  name: NameSchema,
  target: TaskTargetSchema,
  input: WorkInputSchema.default({}),
  onFailure: z.enum(STEP_FAILURE_POLICIES).default("stop"),
  maxAttempts: taskFields.maxAttempts.nullable().default(null),
  maxDurationSeconds: taskFields.maxDurationSeconds.default(3_600),
});

const workflowSteps = z
  .array(WorkflowStepSchema)
  .min(1, "A workflow needs at least one step")
  .max(WORK_LIMITS.workflowSteps, `A workflow has at most ${WORK_LIMITS.workflowSteps} steps`)
  .refine((steps) => new Set(steps.map((step) => step.name)).size === steps.length, {
    message: "Give each step a name of its own (later steps read earlier outputs by name)",
  });

export const WorkflowCreateInputSchema = z.object({
  projectId: IdSchema.optional(),
  name: NameSchema,
  description: z.string().trim().max(LIMITS.descriptionLength).default(""),
  steps: workflowSteps,
});
export type WorkflowCreateInput = z.input<typeof WorkflowCreateInputSchema>;

export const WorkflowUpdateInputSchema = z.object({
  projectId: IdSchema.optional(),
  id: IdSchema,
  name: NameSchema.optional(),
  description: z.string().trim().max(LIMITS.descriptionLength).optional(),
  steps: workflowSteps.optional(),
});

export const WorkflowIdInputSchema = z.object({ projectId: IdSchema.optional(), id: IdSchema });

export const WorkflowListInputSchema = z.object({
  projectId: IdSchema.optional(),
  limit: PageLimitSchema,
  cursor: z.string().max(200).nullish(),
});

/** Start by id (dashboard) or name (apps), with input every step receives beside its own. */
export const WorkflowStartInputSchema = z
  .object({
    projectId: IdSchema.optional(),
    id: IdSchema.optional(),
    workflow: NameSchema.optional(),
    input: WorkInputSchema.default({}),
  })
  .refine((value) => (value.id === undefined) !== (value.workflow === undefined), {
    message: "Give the workflow's id or its name (one of them)",
    path: ["workflow"],
  });

export const WorkflowRunListInputSchema = z.object({
  projectId: IdSchema.optional(),
  workflowId: IdSchema.optional(),
  limit: PageLimitSchema,
  cursor: z.string().max(200).nullish(),
});
