import { inSavepoint, runLogs, runs, type DbOrTx } from "@tower/db";
import { WORK_LIMITS, type ChangeEvent, type JsonValue, type Run, type RunReportResult } from "@tower/shared";
import { eq, sql } from "drizzle-orm";
import { assertActsAs, type ProjectAccess } from "../core/access";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { groupCommit } from "../core/group-commit";
import { prepared, slot } from "../core/prepared";
import { findRun, requireRun, runChange, toRun, type RunRow } from "./run-rows";
import { requeueOrEnd, requeueUnspent } from "./run-requeue";
import { advanceWorkflowTx } from "./workflow-runs";

// What the agent holding a run calls: heartbeat (start, progress, logs, lease renewal), complete
// and fail. Each is refused once the run is no longer the caller's: its lease lapsed and the run
// went back to the queue (or to another agent), or it ended.

const time = (at: number) => new Date(at).toISOString();

/** The run, if the caller's agent holds this attempt of it; else why not. */
function requireHeld(deps: Deps, tx: DbOrTx, access: ProjectAccess, id: string, attempt: number | undefined): RunRow {
  const row = requireRun(deps.state, tx, access.projectId, id);
  if (row.agentName !== null) assertActsAs(access, row.agentName);
  // Attempts only count up, and an agent learns its number from the lease: one past the run's
  // current attempt was never leased to anyone, so nothing lapsed; the caller has the wrong number.
  // Still a conflict, as for a lapsed one: in a report call it refuses this report alone, and the
  // agent drops a run it cannot account for.
  if (attempt !== undefined && attempt > row.attempt) {
    throw new DomainError(
      "CONFLICT",
      `Run ${id} is on attempt ${row.attempt} (${row.status}); attempt ${attempt} does not exist: send the attempt it was leased with`,
    );
  }
  const held = row.status === "leased" || row.status === "running";
  if (row.status === "queued" && (attempt === undefined || attempt === row.attempt)) {
    // This attempt was never leased to anyone: nothing lapsed.
    throw new DomainError(
      "CONFLICT",
      `Run ${id} is queued (attempt ${row.attempt}) and held by no agent: only the agent it is leased to reports on it`,
    );
  }
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

/** What every report names: the run, the attempt held, the log lines to add, and the sender's id for it. */
type ReportBase = { id: string; attempt?: number; logs?: string[]; reportId?: string };
type HeartbeatInput = ReportBase & { progress?: number; message?: string };
type CompleteInput = ReportBase & { output?: JsonValue };
type FailInput = ReportBase & { error: string };
type ReleaseInput = ReportBase;

/** The first heartbeat moves the run to `running`; each renews the lease and stores progress and logs. */
function heartbeatTx(
  deps: Deps,
  tx: DbOrTx,
  access: ProjectAccess,
  input: HeartbeatInput,
  leaseMs: number,
  now: number,
) {
  const row = requireHeld(deps, tx, access, input.id, input.attempt);
  const logLines = appendLogs(tx, row, input.logs, now);
  // Built from the row read above, as the update sets it (RETURNING would cost the update again).
  const updated: RunRow = {
    ...row,
    status: "running",
    startedAt: row.startedAt ?? now,
    leaseExpiresAt: now + leaseMs,
    // Progress and its message change only when given.
    progress: input.progress === undefined ? row.progress : Math.round(input.progress),
    progressMessage: input.message ?? row.progressMessage,
    logLines,
    lastReportId: input.reportId ?? null,
    updatedAt: now,
  };
  prepared(deps.state, "runs.heartbeat", () =>
    tx
      .update(runs)
      .set({
        status: "running",
        startedAt: slot("startedAt") as never,
        leaseExpiresAt: slot("leaseExpiresAt") as never,
        progress: slot("progress") as never,
        progressMessage: slot("progressMessage") as never,
        logLines: slot("logLines") as never,
        lastReportId: slot("lastReportId") as never,
        updatedAt: slot("updatedAt") as never,
      })
      .where(eq(runs.id, slot("id")))
      .prepare(),
  ).run(updated);
  return { row: updated, events: [runChange(deps.state, tx, updated, "updated", now)] };
}

/** Succeeded, with its output (even if a cancel was asked meanwhile: the work is done). */
function completeTx(deps: Deps, tx: DbOrTx, access: ProjectAccess, input: CompleteInput, now: number) {
  const row = requireHeld(deps, tx, access, input.id, input.attempt);
  const updated: RunRow = {
    ...row,
    status: "succeeded",
    output: input.output === undefined ? null : input.output,
    progress: 100,
    error: null,
    startedAt: row.startedAt ?? now,
    finishedAt: now,
    leaseExpiresAt: null,
    deadlineAt: null,
    logLines: appendLogs(tx, row, input.logs, now),
    lastReportId: input.reportId ?? null,
    updatedAt: now,
  };
  // requireHeld read the row in this transaction, so the update matches it.
  prepared(deps.state, "runs.complete", () =>
    tx
      .update(runs)
      .set({
        status: "succeeded",
        // Raw, encoded below: through the column, no output would be stored as the JSON text "null".
        output: sql`${slot("outputJson")}`,
        progress: 100,
        error: null,
        startedAt: slot("startedAt") as never,
        finishedAt: slot("finishedAt") as never,
        leaseExpiresAt: null,
        deadlineAt: null,
        logLines: slot("logLines") as never,
        lastReportId: slot("lastReportId") as never,
        updatedAt: slot("updatedAt") as never,
      })
      .where(eq(runs.id, slot("id")))
      .prepare(),
  ).run({ ...updated, outputJson: input.output === undefined ? null : JSON.stringify(input.output) });
  return {
    row: updated,
    events: [runChange(deps.state, tx, updated, "updated", now), ...advanceWorkflowTx(deps, tx, updated, now)],
  };
}

/** Cancelled when a cancel was asked; else back to the queue after its backoff while attempts remain, else failed. */
function failTx(deps: Deps, tx: DbOrTx, access: ProjectAccess, input: FailInput, now: number) {
  const row = requireHeld(deps, tx, access, input.id, input.attempt);
  const logLines = appendLogs(tx, row, input.logs, now);
  const updated = requeueOrEnd(
    tx,
    { ...row, logLines, lastReportId: input.reportId ?? null },
    { error: input.error, ending: "failed" },
    now,
  );
  return {
    row: updated,
    events: [runChange(deps.state, tx, updated, "updated", now), ...advanceWorkflowTx(deps, tx, updated, now)],
  };
}

/**
 * The agent is stopping and gives the run back unfinished: it goes back to the queue at once for
 * another agent, under a new attempt number (a late report of this one is refused) that costs
 * none of its attempts. A run someone asked to cancel ends cancelled instead.
 */
function releaseTx(deps: Deps, tx: DbOrTx, access: ProjectAccess, input: ReleaseInput, now: number) {
  const row = requireHeld(deps, tx, access, input.id, input.attempt);
  const logLines = appendLogs(tx, row, input.logs, now);
  const error = `Given back unfinished by "${row.agentName}", which was stopping`;
  const given = { ...row, logLines, lastReportId: input.reportId ?? null };
  const updated = row.cancelRequested
    ? requeueOrEnd(tx, given, { error, ending: "failed" }, now)
    : requeueUnspent(tx, given, error, now);
  return {
    row: updated,
    events: [runChange(deps.state, tx, updated, "updated", now), ...advanceWorkflowTx(deps, tx, updated, now)],
  };
}

/** Runs one of the calls above in its own transaction and publishes its changes once committed. */
function inTransaction(deps: Deps, body: (tx: DbOrTx, now: number) => { row: RunRow; events: ChangeEvent[] }) {
  const now = deps.clock.now();
  let events: ChangeEvent[] = [];
  const row = deps.db.transaction((tx) => {
    const done = body(tx, now);
    events = done.events;
    return done.row;
  });
  publishChanges(deps, events);
  return row;
}

/**
 * The agent is working on the run: the first call moves it to `running`; each renews the lease
 * and carries progress and log lines out, and the answer brings a cancellation back.
 */
export function heartbeatRun(
  deps: Deps,
  access: ProjectAccess,
  input: HeartbeatInput,
  leaseMs: number,
): HeartbeatAnswer {
  const row = inTransaction(deps, (tx, now) => heartbeatTx(deps, tx, access, input, leaseMs, now));
  return { cancelRequested: row.cancelRequested, leaseExpiresAt: row.leaseExpiresAt!, status: row.status };
}

/** The attempt succeeded, with its output (even if a cancel was asked meanwhile: the work is done). */
export function completeRun(deps: Deps, access: ProjectAccess, input: CompleteInput): Run {
  return toRun(inTransaction(deps, (tx, now) => completeTx(deps, tx, access, input, now)));
}

/**
 * The attempt failed (the agent's code threw, or it stopped because a cancel was asked): the run
 * ends `cancelled` when a cancel was asked, goes back to the queue after its backoff when attempts
 * remain, else ends `failed` with the error.
 */
export function failRun(deps: Deps, access: ProjectAccess, input: FailInput): Run {
  return toRun(inTransaction(deps, (tx, now) => failTx(deps, tx, access, input, now)));
}

type Report =
  | ({ kind: "heartbeat" } & HeartbeatInput)
  | ({ kind: "complete" } & CompleteInput)
  | ({ kind: "fail" } & FailInput)
  | ({ kind: "release" } & ReleaseInput);

function applyReport(deps: Deps, tx: DbOrTx, access: ProjectAccess, report: Report, leaseMs: number, now: number) {
  switch (report.kind) {
    case "heartbeat":
      return heartbeatTx(deps, tx, access, report, leaseMs, now);
    case "complete":
      return completeTx(deps, tx, access, report, now);
    case "fail":
      return failTx(deps, tx, access, report, now);
    case "release":
      return releaseTx(deps, tx, access, report, now);
  }
}

const answerFor = (row: RunRow): RunReportResult => ({
  ok: true,
  status: row.status,
  cancelRequested: row.cancelRequested,
  leaseExpiresAt: row.leaseExpiresAt,
});

/**
 * The run as stored when this very report was stored before (its id is the run's last report's):
 * sent again because its answer was lost, it is answered as then, not refused as stale.
 */
function storedAlready(deps: Deps, tx: DbOrTx, access: ProjectAccess, report: Report): RunRow | null {
  if (report.reportId === undefined) return null;
  const row = findRun(deps.state, tx, access.projectId, report.id);
  return row?.lastReportId === report.reportId ? row : null;
}

/**
 * What refuses one report and leaves the others standing: its run moved on (taken back, ended) or
 * is not there. Anything else (a run this key may not act for) refuses the whole call, changing nothing.
 */
const REFUSALS = new Set(["CONFLICT", "NOT_FOUND"]);

/**
 * Heartbeats, completions and failures of many runs in one call, and in one commit with the other
 * small work writes of this turn (see group-commit.ts), where each single call costs a commit:
 * each report in a savepoint of its own, so one refused (its run taken back meanwhile) changes
 * nothing and leaves the others standing. Answers in the order sent, once committed.
 */
export function reportRuns(
  deps: Deps,
  access: ProjectAccess,
  reports: readonly Report[],
  leaseMs: number,
): Promise<RunReportResult[]> {
  return groupCommit(deps, (tx) => {
    const now = deps.clock.now();
    const events: ChangeEvent[] = [];
    const value = reports.map((report): RunReportResult => {
      try {
        const done = inSavepoint(tx, (savepoint) => applyReport(deps, savepoint, access, report, leaseMs, now));
        events.push(...done.events);
        return answerFor(done.row);
      } catch (error) {
        if (!(error instanceof DomainError) || !REFUSALS.has(error.code)) throw error;
        const stored = error.code === "CONFLICT" ? storedAlready(deps, tx, access, report) : null;
        if (stored) return answerFor(stored);
        return { ok: false, code: error.code as "CONFLICT" | "NOT_FOUND", message: error.message };
      }
    });
    return { value, events };
  });
}
