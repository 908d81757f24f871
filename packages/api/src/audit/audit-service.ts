import { auditCheckpoints, auditEvents, projects, type TowerDb } from "@tower/db";
import type { AuditChainVerdict, AuditEvent, AuditListQuery, AuditRecord } from "@tower/shared";
import { and, asc, count, desc, eq, gt, gte, lt, lte, max, min, sql, type SQL } from "drizzle-orm";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { walkAuditChain } from "./audit-chain-walk";

/** The columns of an `AuditEvent`: what lists and live tails send (no chain links, no client id). */
const EVENT_COLUMNS = {
  id: auditEvents.id,
  at: auditEvents.at,
  actorType: auditEvents.actorType,
  actorId: auditEvents.actorId,
  actorName: auditEvents.actorName,
  operation: auditEvents.operation,
  target: auditEvents.target,
  decision: auditEvents.decision,
  agentId: auditEvents.agentId,
  sessionId: auditEvents.sessionId,
  detail: auditEvents.detail,
  reportedAt: auditEvents.reportedAt,
  seq: auditEvents.seq,
};

/**
 * A session in its agent's order: the agent's time (Tower's for its own rows and for reports that
 * gave none), then the agent's sequence number, then the order of commit. The same expressions as
 * `audit_session_agent_order_idx`, so a page is a seek in that index.
 */
const agentOrderKeys = [
  sql<number>`coalesce(${auditEvents.reportedAt}, ${auditEvents.at})`,
  sql<number>`coalesce(${auditEvents.seq}, 0)`,
  auditEvents.id,
] as const;

/** The same rows as `AuditEvent`s (for the live tail). */
export function readAuditEventsAfter(db: TowerDb, projectId: string, after: number, limit: number) {
  return db
    .select(EVENT_COLUMNS)
    .from(auditEvents)
    .where(and(eq(auditEvents.projectId, projectId), gt(auditEvents.id, after)))
    .orderBy(asc(auditEvents.id))
    .limit(limit)
    .all() as AuditEvent[];
}

/** One row of the project's trail with its hash-chain links. */
export function getAudit({ db }: Deps, projectId: string, id: number): AuditRecord {
  const row = db
    .select({ ...EVENT_COLUMNS, prevHash: auditEvents.prevHash, hash: auditEvents.hash })
    .from(auditEvents)
    .where(and(eq(auditEvents.projectId, projectId), eq(auditEvents.id, id)))
    .get() as AuditRecord | undefined;
  if (!row)
    throw new DomainError(
      "NOT_FOUND",
      `Audit row ${id} not found in this project (pruned by retention, or never written)`,
    );
  return row;
}

/**
 * The project's trail, newest first: in the order of commit (the chain's), or with `order: "agent"`
 * one session in the order its agent made the reports, whatever order their batches committed in.
 */
export function listAudit({ db }: Deps, projectId: string, input: AuditListQuery) {
  const where: (SQL | undefined)[] = [eq(auditEvents.projectId, projectId)];
  if (input.operation) where.push(eq(auditEvents.operation, input.operation));
  if (input.actorType) where.push(eq(auditEvents.actorType, input.actorType));
  if (input.decision) where.push(eq(auditEvents.decision, input.decision));
  if (input.agentId) where.push(eq(auditEvents.agentId, input.agentId));
  if (input.sessionId) where.push(eq(auditEvents.sessionId, input.sessionId));
  if (input.from !== undefined) where.push(gte(auditEvents.at, input.from));
  if (input.to !== undefined) where.push(lte(auditEvents.at, input.to));
  const byAgent = input.order === "agent";
  if (input.cursor && !byAgent) where.push(lt(auditEvents.id, input.cursor));
  if (input.cursor && byAgent) {
    // Keyset on the agent's order: rows before the cursor's row in it. The leading bound on the
    // agent's time is what lets SQLite seek in the index; the row value settles ties.
    const [time, seq] = agentOrderKeys;
    const after = db
      .select({ time, seq })
      .from(auditEvents)
      .where(and(eq(auditEvents.projectId, projectId), eq(auditEvents.id, input.cursor)))
      .get();
    if (!after) throw new DomainError("NOT_FOUND", `Audit row ${input.cursor} (the cursor) is not in this project`);
    where.push(
      lte(time, after.time),
      sql`(${sql.join([...agentOrderKeys], sql`, `)}) < (${after.time}, ${after.seq}, ${input.cursor})`,
    );
  }
  const rows = db
    .select(EVENT_COLUMNS)
    .from(auditEvents)
    .where(and(...where))
    .orderBy(...(byAgent ? agentOrderKeys.map((key) => desc(key)) : [desc(auditEvents.id)]))
    .limit(input.limit + 1)
    .all() as AuditEvent[];
  const items = rows.slice(0, input.limit);
  return { items, nextCursor: rows.length > input.limit ? (items.at(-1)?.id ?? null) : null };
}

/**
 * Walks the project's whole chain from its latest checkpoint (or the start), here and now, and
 * reports either how many rows are intact, or the first row whose content or link does not match.
 * (`audit.verify` walks on the reader thread, remembers intact prefixes and compares with the
 * signed heads: see `verifyAuditChain`.)
 */
export function verifyAudit(db: TowerDb, projectId: string): AuditChainVerdict {
  const walk = walkAuditChain(db, { projectId, resume: null, headThroughId: null });
  if (walk.broken) {
    const { at, reason, problem } = walk.broken;
    return { intact: false, rows: walk.rows, brokenAt: at, reason, problem };
  }
  return {
    intact: true,
    rows: walk.rows,
    checkpoint: walk.checkpoint
      ? { throughId: walk.checkpoint.throughId, prunedRows: walk.checkpoint.prunedRows }
      : null,
  };
}

/**
 * Removes rows older than the retention period, oldest first, after recording a checkpoint with the
 * hash of the last removed row, so `verifyAudit` still proves the rest of the chain. The anchor is
 * told this process made the checkpoint: until the next signed head covers it, the chain may start
 * there without looking forged.
 */
export function pruneAudit({ db, clock, audit }: Deps, projectId: string, retentionMs: number): { pruned: number } {
  const cutoff = clock.now() - retentionMs;
  const result = db.transaction((tx) => {
    // Only the unbroken run of old rows at the start of the chain: a single row with an old
    // timestamp further along must never take newer rows with it.
    const firstKept = tx
      .select({ id: min(auditEvents.id) })
      .from(auditEvents)
      .where(and(eq(auditEvents.projectId, projectId), gte(auditEvents.at, cutoff)))
      .get()?.id;
    const through = tx
      .select({ id: max(auditEvents.id) })
      .from(auditEvents)
      .where(and(eq(auditEvents.projectId, projectId), firstKept ? lt(auditEvents.id, firstKept) : undefined))
      .get()?.id;
    if (!through) return { pruned: 0 };
    const last = tx.select({ hash: auditEvents.hash }).from(auditEvents).where(eq(auditEvents.id, through)).get();
    const doomed = and(eq(auditEvents.projectId, projectId), lte(auditEvents.id, through));
    const n = tx.select({ n: count() }).from(auditEvents).where(doomed).get()?.n ?? 0;
    tx.insert(auditCheckpoints)
      .values({ projectId, throughId: through, throughHash: last!.hash, prunedRows: n, at: clock.now() })
      .run();
    tx.delete(auditEvents).where(doomed).run();
    return { pruned: n, checkpoint: { throughId: through, throughHash: last!.hash } };
  });
  if (result.checkpoint) audit.anchor.vouch(projectId, result.checkpoint);
  return { pruned: result.pruned };
}

/** Applies the retention period to every project's trail. */
export function pruneAllAudit(deps: Deps, retentionMs: number): { pruned: number } {
  let pruned = 0;
  for (const { id } of deps.db.select({ id: projects.id }).from(projects).all()) {
    pruned += pruneAudit(deps, id, retentionMs).pruned;
  }
  return { pruned };
}
