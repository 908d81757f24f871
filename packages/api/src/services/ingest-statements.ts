import { latencyRollups, metricRollups, type TowerDb } from "@tower/db";
import { sql } from "drizzle-orm";
import { prepared, slot as p } from "./prepared";

/** A metrics row as bound to the insert, by position (booleans as 0/1). */
export type MetricRow = [
  projectId: string,
  clientId: string,
  agentId: string,
  sessionId: string | null,
  type: string,
  executionMs: number | null,
  success: 0 | 1 | null,
  tokensIn: number,
  tokensOut: number,
  model: string | null,
  costUsd: number,
  costSource: string,
  quality: number | null,
  at: number,
  seq: number | null,
];

/** An audit row as bound to the insert, by position (detail as JSON text). */
export type AuditRow = [
  projectId: string,
  at: number,
  actorType: string,
  actorId: string | null,
  actorName: string,
  operation: string,
  target: string,
  decision: string | null,
  agentId: string | null,
  sessionId: string | null,
  detail: string,
  clientId: string | null,
  prevHash: string,
  hash: string,
  reportedAt: number | null,
  seq: number | null,
];

/**
 * The ingest hot path's statements, prepared once per database: building a query costs more than
 * running it, and ingest runs these for every report.
 */
function prepare(db: TowerDb) {
  return {
    // The two per-report inserts use better-sqlite3 directly, binding by position: Drizzle's
    // placeholder mapping, and even better-sqlite3's binding by name, cost microseconds a row, as
    // much as the insert itself. Column lists follow the Drizzle schema in @tower/db.
    insertMetric: db.$client.prepare<MetricRow, never>(
      `INSERT INTO metrics (project_id, client_id, agent_id, session_id, type, execution_ms, success, tokens_in,
        tokens_out, model, cost_usd, cost_source, quality, at, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
    insertAudit: db.$client.prepare<AuditRow, never>(
      `INSERT INTO audit_events (project_id, at, actor_type, actor_id, actor_name, operation, target, decision,
        agent_id, session_id, detail, client_id, prev_hash, hash, reported_at, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
    upsertRollup: db
      .insert(metricRollups)
      .values({
        projectId: p("projectId"),
        agentId: p("agentId"),
        model: p("model"),
        minute: p("minute"),
        count: p("count"),
        successes: p("successes"),
        failures: p("failures"),
        tokensIn: p("tokensIn"),
        tokensOut: p("tokensOut"),
        costUsd: p("costUsd"),
        executionMsSum: p("executionMsSum"),
        executionCount: p("executionCount"),
        events: p("events"),
      })
      .onConflictDoUpdate({
        target: [metricRollups.projectId, metricRollups.agentId, metricRollups.model, metricRollups.minute],
        set: {
          count: sql`${metricRollups.count} + excluded.count`,
          successes: sql`${metricRollups.successes} + excluded.successes`,
          failures: sql`${metricRollups.failures} + excluded.failures`,
          tokensIn: sql`${metricRollups.tokensIn} + excluded.tokens_in`,
          tokensOut: sql`${metricRollups.tokensOut} + excluded.tokens_out`,
          costUsd: sql`${metricRollups.costUsd} + excluded.cost_usd`,
          executionMsSum: sql`${metricRollups.executionMsSum} + excluded.execution_ms_sum`,
          executionCount: sql`${metricRollups.executionCount} + excluded.execution_count`,
          events: sql`${metricRollups.events} + excluded.events`,
        },
      })
      .prepare(),
    upsertLatency: db
      .insert(latencyRollups)
      .values({
        projectId: p("projectId"),
        agentId: p("agentId"),
        model: p("model"),
        minute: p("minute"),
        bucket: p("bucket"),
        count: p("count"),
      })
      .onConflictDoUpdate({
        target: [
          latencyRollups.projectId,
          latencyRollups.agentId,
          latencyRollups.model,
          latencyRollups.minute,
          latencyRollups.bucket,
        ],
        set: { count: sql`${latencyRollups.count} + excluded.count` },
      })
      .prepare(),
  };
}

export type IngestStatements = ReturnType<typeof prepare>;

export function ingestStatements(db: TowerDb): IngestStatements {
  return prepared(db, "ingest.statements", () => prepare(db));
}
