import { runs, type DbOrTx } from "@tower/db";
import { WORK_LIMITS } from "@tower/shared";
import { eq } from "drizzle-orm";
import type { RunRow } from "./run-rows";

/** Seconds before attempt `attempt + 1`: the task's backoff, doubled after each failed attempt. */
export function backoffSeconds(row: Pick<RunRow, "backoffSeconds" | "attempt">): number {
  return Math.min(WORK_LIMITS.backoffSeconds, row.backoffSeconds * 2 ** (row.attempt - 1));
}

/**
 * An attempt ended without success (failed, lapsed, overran): the run ends `cancelled` when a
 * cancel was asked, goes back to the queue for its next attempt after the backoff when attempts
 * remain, else ends as `ending` with the error. The row is written and returned.
 */
export function requeueOrEnd(
  tx: DbOrTx,
  row: RunRow,
  outcome: { error: string; ending: "failed" | "timed_out" },
  now: number,
): RunRow {
  const released = {
    leaseExpiresAt: null,
    deadlineAt: null,
    error: outcome.error,
    logLines: row.logLines,
    lastReportId: row.lastReportId,
    updatedAt: now,
  };
  let set: Partial<RunRow>;
  if (row.cancelRequested) {
    set = { ...released, status: "cancelled", finishedAt: now };
  } else if (row.attempt < row.maxAttempts) {
    set = {
      ...released,
      status: "queued",
      attempt: row.attempt + 1,
      availableAt: now + backoffSeconds(row) * 1000,
      // The time to live bounds the first wait for an agent; a run that was taken is not expired.
      expiresAt: null,
      leasedAt: null,
      startedAt: null,
      progress: null,
      progressMessage: null,
    };
  } else {
    set = { ...released, status: outcome.ending, finishedAt: now };
  }
  return tx.update(runs).set(set).where(eq(runs.id, row.id)).returning().get()!;
}

/**
 * Back to the queue at once under a new attempt number (a late report of this one is refused) that
 * costs none of the run's attempts: the attempt ended through no fault of its own (its agent gave
 * it back stopping, or was disabled). The row is written and returned.
 */
export function requeueUnspent(tx: DbOrTx, row: RunRow, error: string, now: number): RunRow {
  return tx
    .update(runs)
    .set({
      status: "queued",
      attempt: row.attempt + 1,
      maxAttempts: row.maxAttempts + 1,
      availableAt: now,
      error,
      leaseExpiresAt: null,
      deadlineAt: null,
      leasedAt: null,
      startedAt: null,
      progress: null,
      progressMessage: null,
      logLines: row.logLines,
      lastReportId: row.lastReportId,
      updatedAt: now,
    })
    .where(eq(runs.id, row.id))
    .returning()
    .get()!;
}
