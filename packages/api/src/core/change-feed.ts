import { changes, type DbOrTx, type TowerDb } from "@tower/db";
import type { ChangeEntity, ChangeEvent } from "@tower/shared";
import { and, asc, eq, gt, max, type SQL } from "drizzle-orm";
import type { ConnectionState } from "./connection-state";
import type { Deps } from "./deps";
import { prepared, slot } from "./prepared";

type NewChange = Omit<ChangeEvent, "id">;

/** Appends a change inside the caller's transaction; publish the result only after commit. */
export function recordChange(state: ConnectionState, tx: DbOrTx, change: NewChange): ChangeEvent {
  const { lastInsertRowid } = prepared(state, "changes.insert", () =>
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
      .prepare(),
  ).run({
    projectId: change.projectId,
    entity: change.entity,
    op: change.op,
    entityId: String(change.data.id),
    data: change.data,
    at: change.at,
  });
  return { ...change, id: String(lastInsertRowid) } as ChangeEvent;
}

/**
 * The id through which every committed change has been published is kept per connection, in
 * `deps.state.changesPublished` (see connection-state.ts). Changes are
 * committed by two connections (the server's and the ingest writer thread's), and the writer's
 * notice can arrive after a later change of the server's own: publishing must still go in id order,
 * because live streams resume by id.
 */
const PUBLISH_PAGE = 500;

/** Called before handing work to another connection: from here on, every commit is published. */
export function prepareToPublish({ db, state }: Pick<Deps, "db" | "state">) {
  if (state.changesPublished) return;
  const latest = db
    .select({ id: max(changes.id) })
    .from(changes)
    .get();
  state.changesPublished = { through: latest?.id ?? 0 };
}

/**
 * Publishes committed changes, in id order, each exactly once. When `events` continue straight on
 * from what was published (the usual case) they go out as they are; after a gap (another
 * connection committed in between and its notice is still on its way) the changes are read back
 * from the database from the last published id.
 */
export function publishChanges(
  { db, bus, state }: Pick<Deps, "db" | "bus" | "state">,
  events: readonly (ChangeEvent | null | undefined)[],
) {
  const committed = events.filter((event): event is ChangeEvent => !!event);
  if (committed.length === 0) return;
  const head = (state.changesPublished ??= { through: Number(committed[0]!.id) - 1 });
  const contiguous = committed.every((event, i) => Number(event.id) === head.through + 1 + i);
  if (contiguous) {
    for (const event of committed) bus.publish(event);
    head.through += committed.length;
    return;
  }
  const last = Math.max(...committed.map((event) => Number(event.id)));
  while (head.through < last) {
    const page = readChangeRows(db, gt(changes.id, head.through), PUBLISH_PAGE);
    for (const event of page) bus.publish(event);
    if (page.length === 0) break;
    head.through = Number(page.at(-1)!.id);
  }
}

export function latestChangeId(state: ConnectionState, db: DbOrTx, projectId: string): string {
  const row = prepared(state, "changes.latestId", () =>
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
  return readChangeRows(
    db,
    and(
      eq(changes.projectId, projectId),
      eq(changes.entity, entity),
      gt(changes.id, Number(afterId)),
      entityId === undefined ? undefined : eq(changes.entityId, entityId),
    ),
    limit,
  );
}

function readChangeRows(db: TowerDb, where: SQL | undefined, limit: number): ChangeEvent[] {
  return db
    .select()
    .from(changes)
    .where(where)
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
