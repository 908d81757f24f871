import { runLogs, runs, type DbOrTx } from "@tower/db";
import { WORK_LIMITS, type ChangeEvent, type JsonValue, type Run } from "@tower/shared";
import { and, eq, inArray } from "drizzle-orm";
import { assertActsAs, type ProjectAccess } from "../core/access";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { requireRun, runChange, toRun, type RunRow } from "./run-rows";
import { requeueOrEnd } from "./run-requeue";
import { advanceWorkflowTx } from "./workflow-runs";

// What the agent holding a run calls: heartbeat (start, progress, logs, lease renewal), complete
// and fail. Each is refused once the run is no longer the caller's: its lease lapsed and the run
// went back to the queue (or to another agent), or it ended.

const time = (at: number) => new Date(at).toISOString();

/** The run, if the caller's agent holds this attempt of it; else why not. */
function requireHeld(deps: Deps, tx: DbOrTx, access: ProjectAccess, id: string, attempt: number | undefined): RunRow {
  const row = requireRun(deps.state, tx, access.projectId, id);
  if (row.agentName !== null) assertActsAs(access, row.agentName);
  const held = row.status === "leased" || row.status === "running";
  if (!held || (attempt !== undefined && attempt !== row.attempt)) {
    const what =
      held || row.status === "queued"
        ? `its lease lapsed and it went back to the queue (now attempt ${row.attempt}, ${row.status})`
        : `it ended as ${row.status}${row.finishedAt ? ` at ${time(row.finishedAt)}` : ""}`;
    throw new DomainError("CONFLICT", `Run ${id} is no longer held by this agent: ${what}`);
  }
  return row;
}

/** Appends log lines within the per-run limit; past it, one line says later ones were dropped. */
function appendLogs(tx: DbOrTx, row: RunRow, lines: readonly string[] | undefined, now: number): number {
  if (!lines || lines.length === 0 || row.logLines > WORK_LIMITS.logLinesPerRun) return row.logLines;
  const room = WORK_LIMITS.logLinesPerRun - row.logLines;
  const kept = lines.slice(0, room);
  if (kept.length < lines.length)
    kept.push(`[tower] later log lines dropped: a run keeps at most ${WORK_LIMITS.logLinesPerRun}`);
  if (kept.length > 0)
    tx.insert(runLogs)
      .values(kept.map((line) => ({ runId: row.id, at: now, line })))
      .run();
  return row.logLines + kept.length;
}

export interface HeartbeatAnswer {
  /** Someone asked to cancel: stop, then call `fail` (the run ends cancelled). */
  cancelRequested: boolean;
  leaseExpiresAt: number;
  status: Run["status"];
}

/**
 * The agent is working on the run: the first call moves it to `running`; each renews the lease
 * and carries progress and log lines out, and the answer brings a cancellation back.
 */
export function heartbeatRun(
  deps: Deps,
  access: ProjectAccess,
  input: { id: string; attempt?: number; progress?: number; message?: string; logs?: string[] },
  leaseMs: number,
): HeartbeatAnswer {
  const now = deps.clock.now();
  let event: ChangeEvent | null = null;
  const answer = deps.db.transaction((tx) => {
    const row = requireHeld(deps, tx, access, input.id, input.attempt);
    const logLines = appendLogs(tx, row, input.logs, now);
    const updated = tx
      .update(runs)
      .set({
        status: "running",
        startedAt: row.startedAt ?? now,
        leaseExpiresAt: now + leaseMs,
        ...(input.progress !== undefined ? { progress: Math.round(input.progress) } : {}),
        ...(input.message !== undefined ? { progressMessage: input.message } : {}),
        logLines,
        updatedAt: now,
      })
      .where(eq(runs.id, row.id))
      .returning()
      .get()!;
    event = runChange(deps.state, tx, updated, "updated", now);
    return { cancelRequested: updated.cancelRequested, leaseExpiresAt: now + leaseMs, status: updated.status };
  });
  publishChanges(deps, [event]);
  return answer;
}

/** The attempt succeeded, with its output (even if a cancel was asked meanwhile: the work is done). */
export function completeRun(
  deps: Deps,
  access: ProjectAccess,
  input: { id: string; attempt?: number; output?: JsonValue; logs?: string[] },
): Run {
  const now = deps.clock.now();
  const events: ChangeEvent[] = [];
  const run = deps.db.transaction((tx) => {
    const row = requireHeld(deps, tx, access, input.id, input.attempt);
    const updated = tx
      .update(runs)
      .set({
        status: "succeeded",
        output: input.output ?? null,
        progress: 100,
        error: null,
        startedAt: row.startedAt ?? now,
        finishedAt: now,
        leaseExpiresAt: null,
        deadlineAt: null,
        logLines: appendLogs(tx, row, input.logs, now),
        updatedAt: now,
      })
      .where(and(eq(runs.id, row.id), inArray(runs.status, ["leased", "running"])))
      .returning()
      .get()!;
    events.push(runChange(deps.state, tx, updated, "updated", now), ...advanceWorkflowTx(deps, tx, updated, now));
    return toRun(updated);
  });
  publishChanges(deps, events);
  return run;
}

/**
 * The attempt failed (the agent's code threw, or it stopped because a cancel was asked): the run
 * ends `cancelled` when a cancel was asked, goes back to the queue after its backoff when attempts
 * remain, else ends `failed` with the error.
 */
export function failRun(
  deps: Deps,
  access: ProjectAccess,
  input: { id: string; attempt?: number; error: string; logs?: string[] },
): Run {
  const now = deps.clock.now();
  const events: ChangeEvent[] = [];
  const run = deps.db.transaction((tx) => {
    const row = requireHeld(deps, tx, access, input.id, input.attempt);
    const logLines = appendLogs(tx, row, input.logs, now);
    const updated = requeueOrEnd(tx, { ...row, logLines }, { error: input.error, ending: "failed" }, now);
    events.push(runChange(deps.state, tx, updated, "updated", now), ...advanceWorkflowTx(deps, tx, updated, now));
    return toRun(updated);
  });
  publishChanges(deps, events);
  return run;
}
