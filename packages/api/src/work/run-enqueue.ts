import { runs, type DbOrTx } from "@tower/db";
import type { Actor, ChangeEvent, Run, RunTrigger, TaskTarget } from "@tower/shared";
import { and, eq, getTableColumns } from "drizzle-orm";
import { appendAudit } from "../core/audit-chain";
import type { ConnectionState } from "../core/connection-state";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { prepared, slot } from "../core/prepared";
import { newId } from "../core/tokens";
import { handToWaitingAgents, publishAndHandOver, type Handoff } from "./run-handoff";
import { runChange, toRun, type RunRow } from "./run-rows";
import { findTaskByName, requireTask, type TaskRow } from "./task-rows";

/** Where a run's target, limits and input come from: a task, or a workflow's step (no task). */
export type RunSource = Pick<
  TaskRow,
  | "projectId"
  | "name"
  | "targetKind"
  | "targetValue"
  | "input"
  | "priority"
  | "maxAttempts"
  | "backoffSeconds"
  | "maxDurationSeconds"
  | "queuedTtlSeconds"
> & { id: string | null };

/** The target of the runs queued from `task`. */
export const targetOf = (task: RunSource): TaskTarget => ({ kind: task.targetKind, value: task.targetValue });

export interface NewRun {
  trigger: RunTrigger;
  input?: Record<string, unknown>;
  priority?: number;
  /** For a schedule's fire: the fire time (one run per fire, see runs_schedule_fire_idx). */
  scheduledFor?: number;
  retryOf?: string;
  workflowRunId?: string;
  workflowStep?: number;
  /** The app's key: a run already queued with it is answered instead (see `runOfKey`). */
  idempotencyKey?: string;
}

/**
 * Queues a run of `task` (or a workflow's step) inside the caller's transaction: the task's target, limits and input (or
 * the given input) are copied onto it. Returns null when the schedule already fired for this time.
 */
export function insertRunTx(
  state: ConnectionState,
  tx: DbOrTx,
  task: RunSource,
  run: NewRun,
  now: number,
): { row: RunRow; event: ChangeEvent } | null {
  // Built here and inserted without RETURNING (which costs the insert as much again): every
  // column is set, so the row is what SQLite stores.
  const row: RunRow = {
    id: newId(),
    projectId: task.projectId,
    taskId: task.id,
    taskName: task.name,
    status: "queued",
    trigger: run.trigger,
    targetKind: task.targetKind,
    targetValue: task.targetValue,
    input: run.input ?? task.input,
    priority: run.priority ?? task.priority,
    attempt: 1,
    maxAttempts: task.maxAttempts,
    backoffSeconds: task.backoffSeconds,
    maxDurationSeconds: task.maxDurationSeconds,
    agentId: null,
    agentName: null,
    leaseExpiresAt: null,
    deadlineAt: null,
    cancelRequested: false,
    progress: null,
    progressMessage: null,
    output: null,
    error: null,
    scheduledFor: run.scheduledFor ?? null,
    retryOf: run.retryOf ?? null,
    workflowRunId: run.workflowRunId ?? null,
    workflowStep: run.workflowStep ?? null,
    availableAt: now,
    expiresAt: task.queuedTtlSeconds === null ? null : now + task.queuedTtlSeconds * 1000,
    logLines: 0,
    createdAt: now,
    leasedAt: null,
    startedAt: null,
    finishedAt: null,
    updatedAt: now,
    idempotencyKey: run.idempotencyKey ?? null,
    lastReportId: null,
  };
  const inserted = prepared(state, "runs.insert", () =>
    tx
      .insert(runs)
      .values(Object.fromEntries(Object.keys(getTableColumns(runs)).map((column) => [column, slot(column)])) as never)
      .onConflictDoNothing()
      .prepare(),
  ).run(row);
  // Nothing inserted: the schedule already fired for this time (runs_schedule_fire_idx), or a run
  // was queued with this idempotency key before (runs_idempotency_key_idx).
  if (inserted.changes === 0) return null;
  return { row, event: runChange(state, tx, row, "created", now) };
}

/**
 * The run queued earlier with `key` (what `insertRunTx` found in its way): answered again when it is
 * a run of the same task; a key names one run, so another task's run with it is a conflict.
 */
function runOfKey(state: ConnectionState, tx: DbOrTx, task: RunSource, key: string, field: string): RunRow {
  const row = prepared(state, "runs.byIdempotencyKey", () =>
    tx
      .select()
      .from(runs)
      .where(and(eq(runs.projectId, slot("projectId")), eq(runs.idempotencyKey, slot("key"))))
      .prepare(),
  ).get({ projectId: task.projectId, key });
  if (!row) throw new Error(`Run with idempotency key "${key}" not found after its insert was refused`);
  if (row.taskId !== task.id) {
    // Its task deleted since (and maybe made again under the same name): said, not left to puzzle over.
    const whose = row.taskId === null ? `of task "${row.taskName}", since deleted` : `of task "${row.taskName}"`;
    throw new DomainError(
      "CONFLICT",
      `The idempotency key "${key}" already queued run ${row.id} ${whose}: a key names one run, so use another`,
      { field },
    );
  }
  return row;
}

/**
 * Starts a run of a task now, named by id (the dashboard's Run now) or by name (`tower.tasks.enqueue`
 * from an app), with the task's input or the one given.
 */
export function runTaskNow(
  deps: Deps,
  projectId: string,
  input: {
    id?: string;
    task?: string;
    input?: Record<string, unknown>;
    priority?: number;
    idempotencyKey?: string;
  },
  actor: Actor,
): Run {
  const now = deps.clock.now();
  let events: ChangeEvent[] = [];
  let handoff: Handoff | undefined;
  const run = deps.db.transaction((tx) => {
    const task =
      input.id !== undefined ? requireTask(tx, projectId, input.id) : findTaskByName(tx, projectId, input.task!);
    if (!task) throw new DomainError("NOT_FOUND", `No task named "${input.task}" in this project`, { field: "task" });
    const created = insertRunTx(
      deps.state,
      tx,
      task,
      {
        trigger: actor.type === "user" ? "manual" : "api",
        input: input.input,
        priority: input.priority,
        idempotencyKey: input.idempotencyKey,
      },
      now,
    );
    // Queued before with this key: that run is the answer, and nothing else happens.
    if (!created) return toRun(runOfKey(deps.state, tx, task, input.idempotencyKey!, "idempotencyKey"));
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "run.enqueued", target: task.name, detail: { runId: created.row.id, taskId: task.id } },
      now,
    );
    handoff = handToWaitingAgents(deps, tx, projectId, targetOf(task), 1);
    events = [created.event, ...handoff.events];
    return toRun(created.row);
  });
  publishAndHandOver(deps, events, [handoff]);
  return run;
}

/**
 * Queues many runs of one task (named) in one transaction: one commit and one audit record for
 * the lot, where single calls cost one of each per run. Answers the runs' ids in the order given;
 * `existing` counts those queued before with the same idempotency key (answered, not made again).
 */
export function enqueueRuns(
  deps: Deps,
  projectId: string,
  input: {
    task: string;
    runs: readonly { input?: Record<string, unknown>; priority?: number; idempotencyKey?: string }[];
  },
  actor: Actor,
): { ids: string[]; existing: number } {
  const now = deps.clock.now();
  const events: ChangeEvent[] = [];
  let handoff: Handoff | undefined;
  let existing = 0;
  const ids = deps.db.transaction((tx) => {
    const task = findTaskByName(tx, projectId, input.task);
    if (!task) throw new DomainError("NOT_FOUND", `No task named "${input.task}" in this project`, { field: "task" });
    const trigger = actor.type === "user" ? "manual" : "api";
    const made: string[] = [];
    const ids = input.runs.map((run, index) => {
      const created = insertRunTx(deps.state, tx, task, { trigger, ...run }, now);
      if (!created) {
        existing++;
        return runOfKey(deps.state, tx, task, run.idempotencyKey!, `runs.${index}.idempotencyKey`).id;
      }
      events.push(created.event);
      made.push(created.row.id);
      return created.row.id;
    });
    // Every run was queued before: an answer again, nothing to record or hand over.
    if (made.length === 0) return ids;
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      {
        operation: "run.enqueued",
        target: task.name,
        detail: { taskId: task.id, count: made.length, firstRunId: made[0], lastRunId: made[made.length - 1] },
      },
      now,
    );
    handoff = handToWaitingAgents(deps, tx, projectId, targetOf(task), made.length);
    events.push(...handoff.events);
    return ids;
  });
  publishAndHandOver(deps, events, [handoff]);
  return { ids, existing };
}
