import { auditCheckpoints, auditEvents, type DbOrTx } from "@tower/db";
import { and, asc, count, desc, eq, gt, lte, sum } from "drizzle-orm";

/** The reads a chain walk and a head signature are made of; each works on any connection. */

export function latestCheckpoint(tx: DbOrTx, projectId: string) {
  return tx
    .select()
    .from(auditCheckpoints)
    .where(eq(auditCheckpoints.projectId, projectId))
    .orderBy(desc(auditCheckpoints.id))
    .limit(1)
    .get();
}

export type ChainCheckpoint = NonNullable<ReturnType<typeof latestCheckpoint>>;

/** Rows pruned from the project's chain in all, by every checkpoint. */
export function prunedRowsTotal(tx: DbOrTx, projectId: string): number {
  const total = tx
    .select({ n: sum(auditCheckpoints.prunedRows) })
    .from(auditCheckpoints)
    .where(eq(auditCheckpoints.projectId, projectId))
    .get()?.n;
  return Number(total ?? 0);
}

/** A project's stored audit rows after `after`, whole, oldest first, at most `limit` (for `verify`). */
export function readAuditAfter(tx: DbOrTx, projectId: string, after: number, limit: number) {
  return tx
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.projectId, projectId), gt(auditEvents.id, after)))
    .orderBy(asc(auditEvents.id))
    .limit(limit)
    .all();
}

/** The stored hash of one row of the project, or null when there is no such row. */
export function storedHash(tx: DbOrTx, projectId: string, id: number): string | null {
  return (
    tx
      .select({ hash: auditEvents.hash })
      .from(auditEvents)
      .where(and(eq(auditEvents.projectId, projectId), eq(auditEvents.id, id)))
      .get()?.hash ?? null
  );
}

/** The project's newest stored row. */
export function lastStoredRow(tx: DbOrTx, projectId: string) {
  return tx
    .select({ id: auditEvents.id, hash: auditEvents.hash })
    .from(auditEvents)
    .where(eq(auditEvents.projectId, projectId))
    .orderBy(desc(auditEvents.id))
    .limit(1)
    .get();
}

/** Stored rows of the project with `after < id <= through`. */
export function countRowsBetween(tx: DbOrTx, projectId: string, after: number, through: number): number {
  return (
    tx
      .select({ n: count() })
      .from(auditEvents)
      .where(and(eq(auditEvents.projectId, projectId), gt(auditEvents.id, after), lte(auditEvents.id, through)))
      .get()?.n ?? 0
  );
}
