import { auditEvents, type DbOrTx } from "@tower/db";
import type { Actor } from "@tower/shared";
import { GENESIS_HASH, hashAuditRow } from "@tower/shared/node";
import { desc, eq, getTableColumns, sql } from "drizzle-orm";
import { latestCheckpoint } from "./audit-chain-read";
import type { AuditEntry, AuditRowInput } from "./audit-row";
import type { ConnectionState } from "./connection-state";
import type { Deps } from "./deps";
import { prepared, slot } from "./prepared";

// The chain's hash lives in @tower/shared/node, where `tower audit verify` checks exports offline.
export { GENESIS_HASH, hashAuditRow };
export type { AuditEntry, AuditRowInput };

type AuditRow = typeof auditEvents.$inferSelect;
/** What a row's hash covers: every stored field but its id, its own hash and the reporter's id. */
export type AuditContent = Omit<AuditRow, "id" | "hash" | "clientId">;

/**
 * The row builder: the one place that says what each stored field of a new row holds. Both writers
 * of the chain (`appendAudit` for Tower's own rows, ingest for agents' events) build rows here; a
 * column added to `auditEvents` is filled in here and is then written by both.
 */
export function buildAuditContent(
  projectId: string,
  actor: Actor,
  entry: AuditRowInput,
  at: number,
  prevHash: string,
): AuditContent {
  return {
    projectId,
    at,
    actorType: actor.type,
    actorId: actor.id,
    actorName: actor.name,
    operation: entry.operation,
    target: entry.target ?? "",
    decision: entry.decision ?? null,
    agentId: entry.agentId ?? null,
    sessionId: entry.sessionId ?? null,
    detail: entry.detail ?? {},
    prevHash,
    reportedAt: entry.reportedAt ?? null,
    seq: entry.seq ?? null,
  };
}

type AuditKey = keyof Omit<AuditRow, "id">;

/**
 * The columns an append writes, in the order it binds them: the Drizzle schema's own (less the id
 * SQLite assigns), so the insert's column list cannot drift from the table. Values are bound as they
 * are, by position (ingest's hot path: binding by name costs microseconds a row), so every column
 * but the JSON `detail` must be stored as its JavaScript value; a column that needs mapping fails here.
 */
const auditColumns = Object.entries(getTableColumns(auditEvents)).filter(([key]) => key !== "id");
for (const [key, column] of auditColumns) {
  if (key !== "detail" && column.dataType !== "string" && column.dataType !== "number")
    throw new Error(`audit_events.${column.name}: bind its ${column.dataType} value in audit-chain.ts`);
}
const auditKeys = auditColumns.map(([key]) => key as AuditKey);
const auditColumnList = auditColumns.map(([, column]) => `"${column.name}"`).join(", ");

/** The append as positional SQL, for a statement prepared once (ingest stores a row once per client id). */
export const AUDIT_INSERT_SQL = `INSERT INTO audit_events (${auditColumnList}) VALUES (${auditKeys
  .map(() => "?")
  .join(", ")}) ON CONFLICT DO NOTHING`;

/** Anything that runs the append with the row's values in column order (a prepared statement). */
export interface AuditInsert {
  // Values as arguments: better-sqlite3 binds an array argument half a microsecond slower a row.
  run(...values: unknown[]): { changes: number | bigint };
}

/**
 * Hashes a built row and appends it, storing exactly what was hashed (`detailJson`: the detail's
 * JSON when the caller has it). Returns the row's hash, or null when nothing was stored (a row with
 * its client id was stored before).
 */
export function appendAuditRow(
  insert: AuditInsert,
  content: AuditContent,
  clientId: string | null,
  detailJson = JSON.stringify(content.detail),
): string | null {
  const hash = hashAuditRow(content, detailJson);
  const values = new Array<unknown>(auditKeys.length);
  for (let i = 0; i < auditKeys.length; i++) {
    const key = auditKeys[i]!;
    values[i] = key === "detail" ? detailJson : key === "clientId" ? clientId : key === "hash" ? hash : content[key];
  }
  return Number(insert.run(...values).changes) === 0 ? null : hash;
}

/** The append through a transaction handle (Tower's own rows: a conflict fails the action). */
const appendThrough = (tx: DbOrTx): AuditInsert => ({
  run: (...values) =>
    tx.run(
      sql`INSERT INTO audit_events (${sql.raw(auditColumnList)}) VALUES (${sql.join(
        values.map((value) => sql`${value}`),
        sql`, `,
      )})`,
    ),
});

/**
 * Strings as SQLite will store them: a lone UTF-16 surrogate becomes U+FFFD in UTF-8, so content
 * is normalised before it is hashed and stored, or `verify` would see a change that never happened.
 * Node 20 has both checks built in (ES2024 strings; TypeScript's ES2023 library does not list them).
 */
type Es2024String = string & { isWellFormed(): boolean; toWellFormed(): string };
const isWellFormedString = (text: string) => (text as Es2024String).isWellFormed();
const toWellFormed = (text: string) => (text as Es2024String).toWellFormed();

function isWellFormed(value: unknown): boolean {
  if (typeof value === "string") return isWellFormedString(value);
  if (Array.isArray(value)) return value.every(isWellFormed);
  if (value && typeof value === "object") {
    for (const k in value) {
      if (Object.hasOwn(value, k) && (!isWellFormedString(k) || !isWellFormed((value as Record<string, unknown>)[k])))
        return false;
    }
  }
  return true;
}

function rebuildWellFormed<T>(value: T): T {
  if (typeof value === "string") return toWellFormed(value) as T;
  if (Array.isArray(value)) return value.map(rebuildWellFormed) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [toWellFormed(k), rebuildWellFormed(v)])) as T;
  }
  return value;
}

/** The value itself when it is already well formed (the common case: nothing is copied). */
export function wellFormed<T>(value: T): T {
  return isWellFormed(value) ? value : rebuildWellFormed(value);
}

export function chainHead(state: ConnectionState, tx: DbOrTx, projectId: string): string {
  const last = prepared(state, "audit.head", () =>
    tx
      .select({ hash: auditEvents.hash })
      .from(auditEvents)
      .where(eq(auditEvents.projectId, slot("projectId")))
      .orderBy(desc(auditEvents.id))
      .limit(1)
      .prepare(),
  ).get({ projectId });
  if (last) return last.hash;
  return latestCheckpoint(tx, projectId)?.throughHash ?? GENESIS_HASH;
}

/**
 * Wakes the project's live audit tails once the current synchronous transaction is over (a
 * microtask runs only after it returns); a tail that wakes after a rollback simply finds nothing.
 */
export function wakeAuditTails({ bus, clock, state }: Pick<Deps, "bus" | "clock" | "state">, projectId: string) {
  const pending = state.auditWakes;
  if (pending.has(projectId)) return;
  pending.add(projectId);
  queueMicrotask(() => {
    pending.delete(projectId);
    bus.publish({ id: "0", projectId, entity: "audit", op: "appended", at: clock.now(), data: { id: projectId } });
  });
}

/** Appends one row to the project's chain; call inside the transaction of the action it records. */
export function appendAudit(
  deps: Pick<Deps, "bus" | "clock" | "state">,
  tx: DbOrTx,
  projectId: string,
  actor: Actor,
  entry: AuditEntry,
  at: number,
): void {
  const content = wellFormed(
    // Tower's own rows: no agent's time or sequence number.
    buildAuditContent(
      projectId,
      actor,
      { ...entry, reportedAt: null, seq: null },
      at,
      chainHead(deps.state, tx, projectId),
    ),
  );
  appendAuditRow(appendThrough(tx), content, entry.clientId ?? null);
  wakeAuditTails(deps, projectId);
}
