import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { projects } from "./auth";
import { epochMs, jsonText } from "./columns";

/**
 * The audit trail: append-only (triggers in the migration refuse UPDATE, and DELETE of any row not
 * covered by a retention checkpoint) and hash-chained per project: each row stores the hash of its
 * predecessor and a hash over its own content, so an edit, insertion or removal is detectable.
 */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    at: epochMs("at").notNull(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    actorName: text("actor_name").notNull(),
    operation: text("operation").notNull(),
    target: text("target").notNull().default(""),
    decision: text("decision"),
    agentId: text("agent_id"),
    sessionId: text("session_id"),
    detail: jsonText<Record<string, unknown>>("detail").notNull().default({}),
    /** The reporter's idempotency key, for events that agents report; retries are stored once. */
    clientId: text("client_id"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
    /**
     * An agent's report: when it happened by the agent's clock, as it said (`at` is Tower's time of
     * commit, which retention goes by). Null for Tower's own rows and reports that gave no time.
     */
    reportedAt: epochMs("reported_at"),
    /** An agent's report: its place in its session, in the order the agent made its reports. */
    seq: integer("seq"),
  },
  (t) => [
    index("audit_project_id_idx").on(t.projectId, t.id),
    index("audit_project_at_idx").on(t.projectId, t.at),
    // The audit page filtered by operation and decision, newest first, keyset-paged by id: a seek
    // to the newest match, whatever the table size. (One filter alone still walks the id index.)
    index("audit_project_operation_decision_idx").on(t.projectId, t.operation, t.decision, t.id),
    // Agents' reported events are stored once per id, even if two writers raced.
    uniqueIndex("audit_project_client_unique").on(t.projectId, t.clientId),
    // One session in its agent's order (audit.list with order "agent"), keyset-paged: the agent's
    // time (Tower's for its own rows and reports that gave none), then the agent's sequence number.
    // Only rows of a session are indexed.
    index("audit_session_agent_order_idx")
      .on(t.sessionId, sql`coalesce(${t.reportedAt}, ${t.at})`, sql`coalesce(${t.seq}, 0)`, t.id)
      .where(sql`${t.sessionId} is not null`),
  ],
);

/** Where pruning stopped: verification of what remains starts from `throughHash`. */
export const auditCheckpoints = sqliteTable("audit_checkpoints", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  projectId: text("project_id")
    .notNull()
    .references(() => projects.id, { onDelete: "cascade" }),
  throughId: integer("through_id").notNull(),
  throughHash: text("through_hash").notNull(),
  prunedRows: integer("pruned_rows").notNull(),
  at: epochMs("at").notNull(),
});

/**
 * The prefix of each project's chain that `audit.verify` last found intact, so the next verify
 * reads only the rows after it. Only a shortcut: a verify first checks that row `throughId` still
 * has `hash` (a chain rewritten before it changes that hash), `{ full: true }` ignores it, and the
 * signed heads kept outside the database catch the rest. `checkpointId`: the checkpoint the walk
 * started from; once retention moves it, the next verify starts over.
 */
export const auditVerified = sqliteTable("audit_verified", {
  projectId: text("project_id")
    .primaryKey()
    .references(() => projects.id, { onDelete: "cascade" }),
  checkpointId: integer("checkpoint_id"),
  throughId: integer("through_id").notNull(),
  hash: text("hash").notNull(),
  /** Rows from the checkpoint (or the start) through `throughId`. */
  rows: integer("rows").notNull(),
  verifiedAt: epochMs("verified_at").notNull(),
});
