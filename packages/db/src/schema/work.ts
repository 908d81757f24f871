import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type {
  JsonValue,
  MissedFirePolicy,
  RunStatus,
  RunTrigger,
  TaskTargetKind,
  WorkflowRunStatus,
  WorkflowRunStep,
  WorkflowStep,
} from "@tower/shared";
import { agents } from "./agents";
import { projects } from "./auth";
import { epochMs, jsonText } from "./columns";

/**
 * What to do, for whom and (with a cron schedule) when. The schedule's next fire time is stored
 * here, never only in a timer: a restart reads it back, and firing moves it on in the same
 * transaction that creates the run.
 */
export const tasks = sqliteTable(
  "tasks",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    targetKind: text("target_kind").$type<TaskTargetKind>().notNull(),
    targetValue: text("target_value"),
    input: jsonText<Record<string, unknown>>("input").notNull(),
    priority: integer("priority").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(1),
    backoffSeconds: integer("backoff_seconds").notNull(),
    maxDurationSeconds: integer("max_duration_seconds").notNull(),
    queuedTtlSeconds: integer("queued_ttl_seconds"),
    cron: text("cron"),
    timezone: text("timezone").notNull().default("UTC"),
    missedFires: text("missed_fires").$type<MissedFirePolicy>().notNull(),
    paused: integer("paused", { mode: "boolean" }).notNull().default(false),
    nextFireAt: epochMs("next_fire_at"),
    lastFiredAt: epochMs("last_fired_at"),
    createdAt: epochMs("created_at").notNull(),
    updatedAt: epochMs("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("tasks_project_name_idx").on(t.projectId, t.name),
    // The scheduler looks only at tasks with a fire time, earliest first.
    index("tasks_next_fire_idx")
      .on(t.nextFireAt)
      .where(sql`${t.nextFireAt} IS NOT NULL`),
  ],
);

/**
 * One execution of a task. Its target, limits and input are copied from the task when it is
 * created, so editing or deleting the task never changes a run already made.
 */
export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    taskId: text("task_id").references(() => tasks.id, { onDelete: "set null" }),
    taskName: text("task_name").notNull(),
    status: text("status").$type<RunStatus>().notNull(),
    trigger: text("trigger").$type<RunTrigger>().notNull(),
    targetKind: text("target_kind").$type<TaskTargetKind>().notNull(),
    targetValue: text("target_value"),
    input: jsonText<Record<string, unknown>>("input").notNull(),
    priority: integer("priority").notNull(),
    attempt: integer("attempt").notNull().default(1),
    maxAttempts: integer("max_attempts").notNull(),
    backoffSeconds: integer("backoff_seconds").notNull(),
    maxDurationSeconds: integer("max_duration_seconds").notNull(),
    agentId: text("agent_id").references(() => agents.id, { onDelete: "set null" }),
    agentName: text("agent_name"),
    leaseExpiresAt: epochMs("lease_expires_at"),
    /** When the attempt held now must end (leased + maximum duration). */
    deadlineAt: epochMs("deadline_at"),
    cancelRequested: integer("cancel_requested", { mode: "boolean" }).notNull().default(false),
    progress: integer("progress"),
    progressMessage: text("progress_message"),
    output: jsonText<JsonValue>("output"),
    error: text("error"),
    scheduledFor: epochMs("scheduled_for"),
    retryOf: text("retry_of"),
    workflowRunId: text("workflow_run_id"),
    workflowStep: integer("workflow_step"),
    availableAt: epochMs("available_at").notNull(),
    expiresAt: epochMs("expires_at"),
    logLines: integer("log_lines").notNull().default(0),
    createdAt: epochMs("created_at").notNull(),
    leasedAt: epochMs("leased_at"),
    startedAt: epochMs("started_at"),
    finishedAt: epochMs("finished_at"),
    updatedAt: epochMs("updated_at").notNull(),
    /** The app's key that makes queueing this run idempotent (a retry answers this run). */
    idempotencyKey: text("idempotency_key"),
    /**
     * The id of the last agent report stored for this run: the same report sent again (its answer
     * was lost with the connection) is answered as stored instead of refused.
     */
    lastReportId: text("last_report_id"),
  },
  (t) => [
    // Newest first: all, by status, by task, by agent.
    index("runs_project_idx").on(t.projectId, t.id),
    index("runs_project_status_idx").on(t.projectId, t.status, t.id),
    index("runs_task_idx").on(t.taskId, t.id),
    index("runs_agent_idx").on(t.agentId, t.id),
    index("runs_workflow_idx").on(t.workflowRunId),
    // A schedule's fire looks for its task's run still waiting for an agent (and skips if one is).
    index("runs_task_queued_idx")
      .on(t.taskId)
      .where(sql`${t.status} = 'queued'`),
    // The queue: what an agent may claim, highest priority first, then oldest (the index's order is
    // the claim's, so a claim reads the first rows instead of sorting the queue).
    index("runs_queue_idx")
      .on(t.projectId, sql`priority DESC`, t.id)
      .where(sql`${t.status} = 'queued'`),
    // The sweeps: lapsed leases and overrun attempts; queued runs past their time to live.
    index("runs_lease_idx")
      .on(t.leaseExpiresAt)
      .where(sql`${t.status} IN ('leased', 'running')`),
    index("runs_deadline_idx")
      .on(t.deadlineAt)
      .where(sql`${t.status} IN ('leased', 'running')`),
    index("runs_queued_expiry_idx")
      .on(t.expiresAt)
      .where(sql`${t.status} = 'queued' AND ${t.expiresAt} IS NOT NULL`),
    // Retention: finished runs, oldest first.
    index("runs_finished_idx")
      .on(t.finishedAt)
      .where(sql`${t.finishedAt} IS NOT NULL`),
    // A schedule's fire makes one run, however often the scheduler looks (restarts included).
    uniqueIndex("runs_schedule_fire_idx")
      .on(t.taskId, t.scheduledFor)
      .where(sql`${t.scheduledFor} IS NOT NULL`),
    // An app's retried enqueue answers the run its first try made, as long as the run is kept.
    uniqueIndex("runs_idempotency_key_idx")
      .on(t.projectId, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} IS NOT NULL`),
  ],
);

/** What a run's agent logged, in order; bounded per run (see WORK_LIMITS.logLinesPerRun). */
export const runLogs = sqliteTable(
  "run_logs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    at: epochMs("at").notNull(),
    line: text("line").notNull(),
  },
  (t) => [index("run_logs_run_idx").on(t.runId, t.id)],
);

/** Ordered steps, each for a role or a named agent; started from the dashboard or an app. */
export const workflows = sqliteTable(
  "workflows",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    steps: jsonText<WorkflowStep[]>("steps").notNull(),
    createdAt: epochMs("created_at").notNull(),
    updatedAt: epochMs("updated_at").notNull(),
  },
  (t) => [uniqueIndex("workflows_project_name_idx").on(t.projectId, t.name)],
);

/**
 * A started workflow: the definition as it was, where it stands (each step's run, output, error),
 * and how it ended. It moves on in the transaction that ends its current step's run.
 */
export const workflowRuns = sqliteTable(
  "workflow_runs",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    workflowId: text("workflow_id").references(() => workflows.id, { onDelete: "set null" }),
    workflowName: text("workflow_name").notNull(),
    status: text("status").$type<WorkflowRunStatus>().notNull(),
    currentStep: integer("current_step").notNull().default(0),
    steps: jsonText<WorkflowRunStep[]>("steps").notNull(),
    definition: jsonText<WorkflowStep[]>("definition").notNull(),
    input: jsonText<Record<string, unknown>>("input").notNull(),
    startedBy: text("started_by").notNull(),
    startedAt: epochMs("started_at").notNull(),
    finishedAt: epochMs("finished_at"),
  },
  (t) => [
    index("workflow_runs_project_idx").on(t.projectId, t.id),
    index("workflow_runs_workflow_idx").on(t.workflowId, t.id),
  ],
);
