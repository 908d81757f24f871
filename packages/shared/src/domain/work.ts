// Work, the zod-free half: tasks (what to do, for whom, when), runs (one execution each) and their
// states. Schemas are in ../work.ts; the queue, leases and schedules are the server's
// (packages/api/src/work).

/** Who may take a task's runs: one named agent, any agent with a role, or any agent. */
export const TASK_TARGET_KINDS = ["agent", "role", "any"] as const;
export type TaskTargetKind = (typeof TASK_TARGET_KINDS)[number];

/** What a schedule does with the fires it missed while Tower was down: run once now, or skip them. */
export const MISSED_FIRE_POLICIES = ["run_once", "skip"] as const;
export type MissedFirePolicy = (typeof MISSED_FIRE_POLICIES)[number];

/**
 * A run's life: `queued` until an agent claims it (`leased`), `running` once the agent starts, then
 * one final state. A lapsed lease or a failed attempt with attempts left goes back to `queued`.
 */
export const RUN_STATUSES = [
  "queued",
  "leased",
  "running",
  "succeeded",
  "failed",
  "timed_out",
  "cancelled",
  "expired",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const FINAL_RUN_STATUSES = ["succeeded", "failed", "timed_out", "cancelled", "expired"] as const;
export type FinalRunStatus = (typeof FINAL_RUN_STATUSES)[number];

export function isFinalRunStatus(status: RunStatus): status is FinalRunStatus {
  return (FINAL_RUN_STATUSES as readonly string[]).includes(status);
}

/** What made a run: a person or app (`manual`, `api`), the task's schedule, a retry of another run, a workflow's step. */
export const RUN_TRIGGERS = ["manual", "api", "schedule", "retry", "workflow"] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const WORK_LIMITS = {
  /** Largest input or output of a run, as JSON. */
  jsonBytes: 65_536,
  attempts: 20,
  /** Longest backoff before a retry, and the longest a run may take. */
  backoffSeconds: 86_400,
  durationSeconds: 7 * 86_400,
  queuedTtlSeconds: 30 * 86_400,
  priority: 1_000,
  /** Characters of one log line (longer ones are cut) and lines one call may send. */
  logLineLength: 4_000,
  logLinesPerCall: 100,
  /** Log lines kept per run: past this, later lines are dropped and the run says so. */
  logLinesPerRun: 5_000,
  errorLength: 4_000,
  progressMessageLength: 200,
  /** Runs one `task.enqueueMany` call may queue. */
  enqueuePerCall: 1_000,
  /** Characters of an app's idempotency key for a run. */
  idempotencyKeyLength: 200,
  /** Heartbeats, completions and failures one `run.report` call may carry. */
  reportsPerCall: 256,
  /** Runs one agent may hold at once, whatever concurrency it asks for. */
  concurrency: 64,
  workflowSteps: 50,
  /** Cron fire times shown by a schedule's preview. */
  previewFires: 5,
} as const;

export interface TaskTarget {
  kind: TaskTargetKind;
  /** The agent's name (`agent`) or the role (`role`); null for `any`. */
  value: string | null;
}

export interface Task {
  id: string;
  projectId: string;
  name: string;
  description: string;
  target: TaskTarget;
  input: Record<string, unknown>;
  priority: number;
  maxAttempts: number;
  backoffSeconds: number;
  maxDurationSeconds: number;
  /** How long a run may wait in the queue before it expires; null: forever. */
  queuedTtlSeconds: number | null;
  cron: string | null;
  timezone: string;
  missedFires: MissedFirePolicy;
  paused: boolean;
  /** The schedule's next fire time (epoch ms), stored; null without a schedule or while paused. */
  nextFireAt: number | null;
  lastFiredAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A JSON value: what a run's output may be. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Run {
  id: string;
  projectId: string;
  taskId: string | null;
  taskName: string;
  status: RunStatus;
  trigger: RunTrigger;
  target: TaskTarget;
  input: Record<string, unknown>;
  priority: number;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  backoffSeconds: number;
  maxDurationSeconds: number;
  /** The agent holding it (leased or running), or the last one that did. */
  agentId: string | null;
  agentName: string | null;
  leaseExpiresAt: number | null;
  /** Set when someone asked to cancel it while an agent held it. */
  cancelRequested: boolean;
  progress: number | null;
  progressMessage: string | null;
  output: JsonValue;
  error: string | null;
  /** For a scheduled run, the fire time it stands for. */
  scheduledFor: number | null;
  retryOf: string | null;
  /** For a workflow's step: the started workflow and the step's index. */
  workflowRunId: string | null;
  workflowStep: number | null;
  /** When it may be claimed (later than `createdAt` while backing off before a retry). */
  availableAt: number;
  /** When a queued run expires unclaimed; null: never. */
  expiresAt: number | null;
  logLines: number;
  createdAt: number;
  leasedAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
  /** The key the app queued it with: queueing again with the same key answers this run. */
  idempotencyKey: string | null;
}

export interface RunLogLine {
  id: number;
  runId: string;
  at: number;
  line: string;
}

/**
 * What a waiting agent receives: a run to do; word that one it holds was cancelled (stop, then
 * report: it ends `cancelled`); or that Tower took one back (its lease lapsed or it overran its
 * maximum duration: stop, and report nothing, as the run is no longer the agent's).
 */
export type RunAssignment =
  | { type: "run"; run: Run; leaseMs: number }
  /** Several runs in one message, for a stream that asked for `batch` (what `agent.work` does). */
  | { type: "runs"; runs: Run[]; leaseMs: number }
  | { type: "cancel"; runId: string; attempt: number; reason: string }
  | { type: "taken"; runId: string; attempt: number; reason: string };

/** One report's answer in `run.report`, in the order sent: each report stands or fails alone. */
export type RunReportResult =
  | {
      ok: true;
      status: RunStatus;
      /** Heartbeats: someone asked to cancel; stop, then report a failure (the run ends cancelled). */
      cancelRequested: boolean;
      /** Heartbeats: the renewed lease; null once the run ended. */
      leaseExpiresAt: number | null;
    }
  | { ok: false; code: "CONFLICT" | "NOT_FOUND"; message: string };

/** What a workflow does when a step's run does not succeed: stop there, or go on to the next step. */
export const STEP_FAILURE_POLICIES = ["stop", "continue", "retry"] as const;
export type StepFailurePolicy = (typeof STEP_FAILURE_POLICIES)[number];

/** A step's attempts when it says `retry` (and gives none): tried again after a backoff, then the workflow stops. */
export const STEP_RETRY_ATTEMPTS = 3;

export interface WorkflowStep {
  name: string;
  target: TaskTarget;
  input: Record<string, unknown>;
  onFailure: StepFailurePolicy;
  /** Attempts of the step's run; `retry` defaults to STEP_RETRY_ATTEMPTS, the others to 1. */
  maxAttempts: number | null;
  maxDurationSeconds: number;
}

export interface Workflow {
  id: string;
  projectId: string;
  name: string;
  description: string;
  steps: WorkflowStep[];
  createdAt: number;
  updatedAt: number;
}

export const WORKFLOW_RUN_STATUSES = ["running", "succeeded", "failed", "stopped"] as const;
export type WorkflowRunStatus = (typeof WORKFLOW_RUN_STATUSES)[number];

/** One step of a started workflow, as it stands. */
export interface WorkflowRunStep {
  name: string;
  /** `pending` until its run is made; then the run's status. `skipped` when the workflow ended before it. */
  status: RunStatus | "pending" | "skipped";
  runId: string | null;
  output: JsonValue;
  error: string | null;
}

export interface WorkflowRun {
  id: string;
  projectId: string;
  workflowId: string | null;
  workflowName: string;
  status: WorkflowRunStatus;
  /** The index of the step running now (or last run). */
  currentStep: number;
  steps: WorkflowRunStep[];
  /** The definition as it was when started: editing the workflow never changes a started one. */
  definition: WorkflowStep[];
  startedBy: string;
  startedAt: number;
  finishedAt: number | null;
}

const utf8 = new TextEncoder();
/** The size of `value` as JSON, in UTF-8 bytes: what the limits on inputs and outputs count. */
export const jsonBytes = (value: unknown) => utf8.encode(JSON.stringify(value) ?? "").length;
