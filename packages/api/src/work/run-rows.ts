import { runs, type DbOrTx } from "@tower/db";
import type { ChangeEvent, Run } from "@tower/shared";
import { and, eq } from "drizzle-orm";
import { recordChange } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";
import { notFound } from "../core/errors";
import { prepared, slot } from "../core/prepared";

export type RunRow = typeof runs.$inferSelect;

export function toRun({ targetKind, targetValue, deadlineAt: _deadlineAt, ...row }: RunRow): Run {
  return { ...row, target: { kind: targetKind, value: targetValue } };
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
