import { latencyRollups, metricRollups, metrics, type TowerDb } from "@tower/db";
import { getTableColumns, sql } from "drizzle-orm";
import { AUDIT_INSERT_SQL } from "../core/audit-chain";
import type { ConnectionState } from "../core/connection-state";
import { prepared, slot as p } from "../core/prepared";

/** A metrics row as bound to the insert, by position (booleans as 0/1), in `METRIC_KEYS`' order. */
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

/**
 * The metrics columns the insert writes, in `MetricRow`'s order: the schema's (less the id SQLite
 * assigns). A column added to `metrics` fails this check until `MetricRow` and `storeMetric` bind it.
 */
const metricColumns = Object.entries(getTableColumns(metrics)).filter(([key]) => key !== "id");
const METRIC_KEYS = [
  "projectId",
  "clientId",
  "agentId",
  "sessionId",
  "type",
  "executionMs",
  "success",
  "tokensIn",
  "tokensOut",
  "model",
  "costUsd",
  "costSource",
  "quality",
  "at",
  "seq",
] as const satisfies readonly (keyof typeof metrics.$inferInsert)[];
if (metricColumns.map(([key]) => key).join() !== METRIC_KEYS.join())
  throw new Error("metrics: the schema's columns differ from MetricRow's; bind the new column in ingest");
const METRIC_INSERT_SQL = `INSERT INTO metrics (${metricColumns.map(([, c]) => `"${c.name}"`).join(", ")})
  VALUES (${METRIC_KEYS.map(() => "?").join(", ")}) ON CONFLICT DO NOTHING`;

/**
 * The ingest hot path's statements, prepared once per connection: building a query costs more than
 * running it, and ingest runs these for every report.
 */
function prepare(db: TowerDb) {
  return {
    // The two per-report inserts use better-sqlite3 directly, binding by position: Drizzle's
    // placeholder mapping, and even better-sqlite3's binding by name, cost microseconds a row, as
    // much as the insert itself. Both column lists come from the Drizzle schema in @tower/db.
    insertMetric: db.$client.prepare<MetricRow, never>(METRIC_INSERT_SQL),
    // The audit chain's one append (see audit-chain.ts), prepared once here.
    insertAudit: db.$client.prepare<unknown[], never>(AUDIT_INSERT_SQL),
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

export function ingestStatements(state: ConnectionState, db: TowerDb): IngestStatements {
  return prepared(state, "ingest.statements", () => prepare(db));
}
