import { runs, type DbOrTx } from "@tower/db";
import type { ChangeEvent, Run } from "@tower/shared";
import { and, eq } from "drizzle-orm";
import { recordChange } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";
import { notFound } from "../core/errors";
import { prepared, slot } from "../core/prepared";

export type RunRow = typeof runs.$inferSelect;

/** Written out, not `{ ...row }`: every change of a run and every run handed to an agent goes through here. */
export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    projectId: row.projectId,
    taskId: row.taskId,
    taskName: row.taskName,
    status: row.status,
    trigger: row.trigger,
    target: { kind: row.targetKind, value: row.targetValue },
    input: row.input,
    priority: row.priority,
    attempt: row.attempt,
    maxAttempts: row.maxAttempts,
    backoffSeconds: row.backoffSeconds,
    maxDurationSeconds: row.maxDurationSeconds,
    agentId: row.agentId,
    agentName: row.agentName,
    leaseExpiresAt: row.leaseExpiresAt,
    cancelRequested: row.cancelRequested,
    progress: row.progress,
    progressMessage: row.progressMessage,
    output: row.output,
    error: row.error,
    scheduledFor: row.scheduledFor,
    retryOf: row.retryOf,
    workflowRunId: row.workflowRunId,
    workflowStep: row.workflowStep,
    availableAt: row.availableAt,
    expiresAt: row.expiresAt,
    logLines: row.logLines,
    createdAt: row.createdAt,
    leasedAt: row.leasedAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    updatedAt: row.updatedAt,
    idempotencyKey: row.idempotencyKey,
  };
}

export function findRun(state: ConnectionState, tx: DbOrTx, projectId: string, id: string): RunRow | undefined {
  return prepared(state, "runs.byId", () =>
    tx
      .select()
      .from(runs)
      .where(and(eq(runs.projectId, slot("projectId")), eq(runs.id, slot("id"))))
      .prepare(),
  ).get({ projectId, id });
}

export function requireRun(state: ConnectionState, tx: DbOrTx, projectId: string, id: string): RunRow {
  const row = findRun(state, tx, projectId, id);
  if (!row) throw notFound("Run");
  return row;
}

export function runChange(
  state: ConnectionState,
  tx: DbOrTx,
  row: RunRow,
  op: "created" | "updated",
  now: number,
): ChangeEvent {
  return recordChange(state, tx, { projectId: row.projectId, entity: "run", op, at: now, data: toRun(row) });
}
