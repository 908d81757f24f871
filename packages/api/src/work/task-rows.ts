import { tasks, type DbOrTx } from "@tower/db";
import type { ChangeEvent, Task } from "@tower/shared";
import { and, eq } from "drizzle-orm";
import { recordChange } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";
import { notFound } from "../core/errors";

export type TaskRow = typeof tasks.$inferSelect;

export function toTask({ targetKind, targetValue, ...row }: TaskRow): Task {
  return { ...row, target: { kind: targetKind, value: targetValue } };
}

export function requireTask(tx: DbOrTx, projectId: string, id: string): TaskRow {
  const row = tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.projectId, projectId), eq(tasks.id, id)))
    .get();
  if (!row) throw notFound("Task");
  return row;
}

export function findTaskByName(tx: DbOrTx, projectId: string, name: string): TaskRow | undefined {
  return tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.projectId, projectId), eq(tasks.name, name)))
    .get();
}

export function taskChange(state: ConnectionState, tx: DbOrTx, row: TaskRow, op: "created" | "updated", now: number) {
  return recordChange(state, tx, { projectId: row.projectId, entity: "task", op, at: now, data: toTask(row) });
}

export function taskDeleted(state: ConnectionState, tx: DbOrTx, row: TaskRow, now: number): ChangeEvent {
  return recordChange(state, tx, {
    projectId: row.projectId,
    entity: "task",
    op: "deleted",
    at: now,
    data: { id: row.id, name: row.name },
  });
}
