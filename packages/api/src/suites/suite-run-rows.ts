import { suiteRuns, type DbOrTx } from "@tower/db";
import type { ChangeEvent, SuiteRun } from "@tower/shared";
import { and, eq } from "drizzle-orm";
import { recordChange } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";
import { notFound } from "../core/errors";

export type SuiteRunRow = typeof suiteRuns.$inferSelect;

/** The run as people see it: the command's process identity is the server's own bookkeeping. */
export const toSuiteRun = ({ processGroup: _group, processStartTime: _started, ...run }: SuiteRunRow): SuiteRun => run;

export function requireSuiteRun(tx: DbOrTx, projectId: string, id: string): SuiteRunRow {
  const row = tx
    .select()
    .from(suiteRuns)
    .where(and(eq(suiteRuns.projectId, projectId), eq(suiteRuns.id, id)))
    .get();
  if (!row) throw notFound("Suite run");
  return row;
}

export function suiteRunChange(
  state: ConnectionState,
  tx: DbOrTx,
  row: SuiteRunRow,
  op: "created" | "updated",
  now: number,
): ChangeEvent {
  return recordChange(state, tx, { projectId: row.projectId, entity: "suiteRun", op, at: now, data: toSuiteRun(row) });
}

/** Ends `row` as an error with `problems` (what went wrong), and the change that says so. */
export function endRunAsError(state: ConnectionState, tx: DbOrTx, row: SuiteRunRow, problems: string[], now: number) {
  const ended = tx
    .update(suiteRuns)
    .set({ status: "error", finishedAt: now, problems })
    .where(eq(suiteRuns.id, row.id))
    .returning()
    .get()!;
  return { row: ended, event: suiteRunChange(state, tx, ended, "updated", now) };
}

/**
 * Ends as an error a run the database still calls `running` though nothing in this server watches
 * it (its end could not be written): left so, it would block its suite until a restart.
 */
export const endUnwatchedRun = (state: ConnectionState, tx: DbOrTx, row: SuiteRunRow, now: number) =>
  endRunAsError(
    state,
    tx,
    row,
    [...row.problems, "Its end was never recorded, and nothing in Tower was watching it any more; it was ended"],
    now,
  );
