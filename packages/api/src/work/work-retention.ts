import { runs, workflowRuns } from "@tower/db";
import { FINAL_RUN_STATUSES } from "@tower/shared";
import { and, inArray, isNotNull, lt } from "drizzle-orm";
import type { Deps } from "../core/deps";

/** Rows deleted per transaction: the write lock is never held for long, whatever piled up. */
const BATCH = 1_000;

/**
 * Finished runs (their log lines go with them) and finished workflow runs older than
 * `retentionMs` (TOWER_RUN_RETENTION_DAYS) are deleted, a batch per transaction; queued and held
 * runs and running workflows are never touched, however old. Test suite runs are kept: their
 * history is what suites are for.
 */
export function pruneWork(
  deps: Pick<Deps, "db" | "clock">,
  retentionMs: number,
): { runs: number; workflowRuns: number } {
  const cutoff = deps.clock.now() - retentionMs;
  const pruned = { runs: 0, workflowRuns: 0 };
  for (;;) {
    const old = deps.db
      .select({ id: runs.id })
      .from(runs)
      .where(and(isNotNull(runs.finishedAt), lt(runs.finishedAt, cutoff), inArray(runs.status, FINAL_RUN_STATUSES)))
      .limit(BATCH);
    const { changes } = deps.db.delete(runs).where(inArray(runs.id, old)).run();
    pruned.runs += changes;
    if (changes < BATCH) break;
  }
  for (;;) {
    const old = deps.db
      .select({ id: workflowRuns.id })
      .from(workflowRuns)
      .where(and(isNotNull(workflowRuns.finishedAt), lt(workflowRuns.finishedAt, cutoff)))
      .limit(BATCH);
    const { changes } = deps.db.delete(workflowRuns).where(inArray(workflowRuns.id, old)).run();
    pruned.workflowRuns += changes;
    if (changes < BATCH) break;
  }
  return pruned;
}
