import { auditEvents, latencyRollups, metricRollups, metrics, type TowerDb } from "@tower/db";
import { sql } from "drizzle-orm";

const p = (name: string) => sql.placeholder(name);

/**
 * The ingest hot path's statements, prepared once per database: building a query costs more than
 * running it, and ingest runs these for every report.
 */
function prepare(db: TowerDb) {
  return {
    insertMetric: db
      .insert(metrics)
      .values({
        projectId: p("projectId"),
        clientId: p("clientId"),
        agentId: p("agentId"),
        sessionId: p("sessionId"),
        type: p("type"),
        executionMs: p("executionMs"),
        success: p("success"),
        tokensIn: p("tokensIn"),
        tokensOut: p("tokensOut"),
        model: p("model"),
        costUsd: p("costUsd"),
        costSource: p("costSource"),
        quality: p("quality"),
        at: p("at"),
      })
      .onConflictDoNothing()
      .prepare(),
    insertAudit: db
      .insert(auditEvents)
      .values({
        projectId: p("projectId"),
        at: p("at"),
        actorType: p("actorType"),
        actorId: p("actorId"),
        actorName: p("actorName"),
        operation: p("operation"),
        target: p("target"),
        decision: p("decision"),
        agentId: p("agentId"),
        sessionId: p("sessionId"),
        detail: p("detail"),
        clientId: p("clientId"),
        prevHash: p("prevHash"),
        hash: p("hash"),
      })
      .onConflictDoNothing()
      .prepare(),
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

const cache = new WeakMap<TowerDb, IngestStatements>();

export function ingestStatements(db: TowerDb): IngestStatements {
  let statements = cache.get(db);
  if (!statements) cache.set(db, (statements = prepare(db)));
  return statements;
}
