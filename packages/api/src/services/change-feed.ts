import { changes, type DbOrTx, type TowerDb } from "@tower/db";
import type { ChangeEntity, ChangeEvent } from "@tower/shared";
import { and, asc, eq, gt, max } from "drizzle-orm";
import { prepared, slot } from "./prepared";

type NewChange = Omit<ChangeEvent, "id">;

/** Appends a change inside the caller's transaction; publish the result only after commit. */
export function recordChange(tx: DbOrTx, change: NewChange): ChangeEvent {
  const row = prepared(tx, "changes.insert", () =>
    tx
      .insert(changes)
      .values({
        projectId: slot("projectId"),
        entity: slot("entity"),
        op: slot("op"),
        entityId: slot("entityId"),
        data: slot("data"),
        at: slot("at"),
      })
      .returning({ id: changes.id })
      .prepare(),
  ).get({
    projectId: change.projectId,
    entity: change.entity,
    op: change.op,
    entityId: String(change.data.id),
    data: change.data,
    at: change.at,
  })!;
  return { ...change, id: String(row.id) } as ChangeEvent;
}

export function latestChangeId(db: DbOrTx, projectId: string): string {
  const row = prepared(db, "changes.latestId", () =>
    db
      .select({ id: max(changes.id) })
      .from(changes)
      .where(eq(changes.projectId, slot("projectId")))
      .prepare(),
  ).get({ projectId });
  return String(row?.id ?? 0);
}

/** Changes after `afterId`, oldest first, a page at a time. */
export function readChangesAfter(
  db: TowerDb,
  projectId: string,
  entity: ChangeEntity,
  afterId: string,
  limit: number,
  entityId?: string,
): ChangeEvent[] {
  return db
    .select()
    .from(changes)
    .where(
      and(
        eq(changes.projectId, projectId),
        eq(changes.entity, entity),
        gt(changes.id, Number(afterId)),
        entityId === undefined ? undefined : eq(changes.entityId, entityId),
      ),
    )
    .orderBy(asc(changes.id))
    .limit(limit)
    .all()
    .map(
      (row) =>
        ({
          id: String(row.id),
          projectId: row.projectId,
          entity: row.entity,
          op: row.op,
          at: row.at,
          data: row.data,
        }) as ChangeEvent,
    );
}
