import { agentDailyUsage, agents, auditEvents, budgetAlerts, latencyRollups, metricRollups, metrics } from "@tower/db";
import {
  BUCKET_MS,
  MAX_BUCKETS,
  type AuditStats,
  type BudgetAlert,
  type FleetOverview,
  type MetricRecord,
  type MetricsBucket,
} from "@tower/shared";
import { and, desc, eq, gte, inArray, lt, lte, sql, type SQLWrapper } from "drizzle-orm";
import type { z } from "zod";
import type {
  AlertListInputSchema,
  AuditStatsInputSchema,
  MetricsAggregateInputSchema,
  MetricsListInputSchema,
} from "@tower/shared";
import type { Deps } from "../context";
import { DomainError } from "../errors";
import { utcDay } from "./budget-service";
import { quantile } from "./latency";

const MINUTE = 60_000;

function assertBucketCount(from: number, to: number, bucketMs: number) {
  if ((to - from) / bucketMs > MAX_BUCKETS) {
    throw new DomainError(
      "BAD_REQUEST",
      `bucket: More than ${MAX_BUCKETS} buckets; choose a coarser bucket or a shorter range`,
    );
  }
}

/** Time-bucketed totals from the per-minute rollups (never the raw rows). */
export function aggregateMetrics(
  { db }: Deps,
  projectId: string,
  input: z.output<typeof MetricsAggregateInputSchema>,
): MetricsBucket[] {
  const size = BUCKET_MS[input.bucket];
  assertBucketCount(input.from, input.to, size);
  // Inlined (not bound): bound numbers are REAL in SQLite and would not divide as integers.
  const startOf = (column: SQLWrapper) =>
    sql<number>`(${column} / ${sql.raw(String(size))}) * ${sql.raw(String(size))}`;
  const groupColumn = (table: typeof metricRollups | typeof latencyRollups) =>
    input.groupBy === "agent" ? table.agentId : input.groupBy === "model" ? table.model : sql<string>`''`;
  const where = (table: typeof metricRollups | typeof latencyRollups) =>
    and(
      eq(table.projectId, projectId),
      gte(table.minute, input.from - (input.from % MINUTE)),
      lt(table.minute, input.to),
      input.agentId ? eq(table.agentId, input.agentId) : undefined,
      input.model !== undefined ? eq(table.model, input.model) : undefined,
    );
  const rows = db
    .select({
      start: startOf(metricRollups.minute),
      group: groupColumn(metricRollups),
      count: sql<number>`sum(${metricRollups.count})`,
      successes: sql<number>`sum(${metricRollups.successes})`,
      failures: sql<number>`sum(${metricRollups.failures})`,
      tokensIn: sql<number>`sum(${metricRollups.tokensIn})`,
      tokensOut: sql<number>`sum(${metricRollups.tokensOut})`,
      costUsd: sql<number>`sum(${metricRollups.costUsd})`,
      events: sql<number>`sum(${metricRollups.events})`,
      executionMsSum: sql<number>`sum(${metricRollups.executionMsSum})`,
      executionCount: sql<number>`sum(${metricRollups.executionCount})`,
    })
    .from(metricRollups)
    .where(where(metricRollups))
    .groupBy(sql`1`, sql`2`)
    .orderBy(sql`1`, sql`2`)
    .all();
  const histograms = new Map<string, Map<number, number>>();
  for (const row of db
    .select({
      start: startOf(latencyRollups.minute),
      group: groupColumn(latencyRollups),
      bucket: latencyRollups.bucket,
      count: sql<number>`sum(${latencyRollups.count})`,
    })
    .from(latencyRollups)
    .where(where(latencyRollups))
    .groupBy(sql`1`, sql`2`, latencyRollups.bucket)
    .all()) {
    const key = `${row.start}|${row.group}`;
    const histogram = histograms.get(key) ?? new Map<number, number>();
    histogram.set(row.bucket, row.count);
    histograms.set(key, histogram);
  }
  return rows.map((row) => {
    const histogram = histograms.get(`${row.start}|${row.group}`) ?? new Map();
    const runs = row.successes + row.failures;
    return {
      start: row.start,
      group: row.group,
      count: row.count,
      successes: row.successes,
      failures: row.failures,
      successRate: runs > 0 ? row.successes / runs : null,
      tokensIn: row.tokensIn,
      tokensOut: row.tokensOut,
      costUsd: row.costUsd,
      events: row.events,
      avgExecutionMs: row.executionCount > 0 ? row.executionMsSum / row.executionCount : null,
      p50ExecutionMs: quantile(histogram, 0.5),
      p95ExecutionMs: quantile(histogram, 0.95),
    };
  });
}

/** Raw metric reports, newest first, keyset-paged. */
export function listMetrics({ db }: Deps, projectId: string, input: z.output<typeof MetricsListInputSchema>) {
  const rows = db
    .select()
    .from(metrics)
    .where(
      and(
        eq(metrics.projectId, projectId),
        input.agentId ? eq(metrics.agentId, input.agentId) : undefined,
        input.sessionId ? eq(metrics.sessionId, input.sessionId) : undefined,
        input.type ? eq(metrics.type, input.type) : undefined,
        input.model ? eq(metrics.model, input.model) : undefined,
        input.from !== undefined ? gte(metrics.at, input.from) : undefined,
        input.to !== undefined ? lte(metrics.at, input.to) : undefined,
        input.cursor ? lt(metrics.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(metrics.id))
    .limit(input.limit + 1)
    .all();
  const items: MetricRecord[] = rows.slice(0, input.limit).map(({ projectId: _p, clientId: _c, ...row }) => row);
  return { items, nextCursor: rows.length > input.limit ? (items.at(-1)?.id ?? null) : null };
}

/** The numbers on the Overview page. */
export function fleetOverview({ db, clock }: Deps, projectId: string): FleetOverview {
  const now = clock.now();
  const midnight = now - (now % 86_400_000);
  const today = db
    .select({
      costUsd: sql<number>`coalesce(sum(${metricRollups.costUsd}), 0)`,
      tokens: sql<number>`coalesce(sum(${metricRollups.tokensIn} + ${metricRollups.tokensOut}), 0)`,
      successes: sql<number>`coalesce(sum(${metricRollups.successes}), 0)`,
      failures: sql<number>`coalesce(sum(${metricRollups.failures}), 0)`,
    })
    .from(metricRollups)
    .where(and(eq(metricRollups.projectId, projectId), gte(metricRollups.minute, midnight)))
    .get()!;
  const recent = db
    .select({ n: sql<number>`coalesce(sum(${metricRollups.count} + ${metricRollups.events}), 0)` })
    .from(metricRollups)
    .where(and(eq(metricRollups.projectId, projectId), gte(metricRollups.minute, now - (now % MINUTE) - 4 * MINUTE)))
    .get()!;
  const fleet = db
    .select({
      total: sql<number>`count(*)`,
      active: sql<number>`coalesce(sum(${agents.status} in ('idle', 'busy')), 0)`,
    })
    .from(agents)
    .where(eq(agents.projectId, projectId))
    .get()!;
  const over = db
    .select({ n: sql<number>`count(distinct ${budgetAlerts.agentId})` })
    .from(budgetAlerts)
    .where(
      and(
        eq(budgetAlerts.projectId, projectId),
        eq(budgetAlerts.threshold, 100),
        eq(budgetAlerts.budget, "cost_per_day"),
        eq(budgetAlerts.period, utcDay(now)),
      ),
    )
    .get()!;
  const runs = today.successes + today.failures;
  return {
    today: {
      costUsd: today.costUsd,
      tokens: today.tokens,
      runs,
      successRate: runs > 0 ? today.successes / runs : null,
    },
    activeAgents: fleet.active,
    totalAgents: fleet.total,
    eventsPerMinute: recent.n / 5,
    overBudgetAgents: over.n,
  };
}

/** Budget alerts, newest first. */
export function listAlerts(
  { db }: Deps,
  projectId: string,
  input: z.output<typeof AlertListInputSchema>,
): BudgetAlert[] {
  return db
    .select({
      id: budgetAlerts.id,
      projectId: budgetAlerts.projectId,
      agentId: budgetAlerts.agentId,
      agentName: agents.name,
      budget: budgetAlerts.budget,
      period: budgetAlerts.period,
      threshold: budgetAlerts.threshold,
      used: budgetAlerts.used,
      limit: budgetAlerts.limit,
      at: budgetAlerts.at,
    })
    .from(budgetAlerts)
    .innerJoin(agents, eq(agents.id, budgetAlerts.agentId))
    .where(
      and(eq(budgetAlerts.projectId, projectId), input.agentId ? eq(budgetAlerts.agentId, input.agentId) : undefined),
    )
    .orderBy(desc(budgetAlerts.id))
    .limit(input.limit)
    .all() as BudgetAlert[];
}

/** Today's spend per agent of the project, for budget bars. */
export function budgetUsage({ db, clock }: Deps, projectId: string) {
  return db
    .select({ agentId: agentDailyUsage.agentId, costUsd: agentDailyUsage.costUsd, tokens: agentDailyUsage.tokens })
    .from(agentDailyUsage)
    .innerJoin(agents, eq(agents.id, agentDailyUsage.agentId))
    .where(and(eq(agents.projectId, projectId), eq(agentDailyUsage.day, utcDay(clock.now()))))
    .all();
}

/** Audit counts by operation, decision, agent and time bucket over a range. */
export function auditStats({ db }: Deps, projectId: string, input: z.output<typeof AuditStatsInputSchema>): AuditStats {
  const size = BUCKET_MS[input.bucket];
  assertBucketCount(input.from, input.to, size);
  const range = and(
    eq(auditEvents.projectId, projectId),
    gte(auditEvents.at, input.from),
    lt(auditEvents.at, input.to),
  );
  const count = sql<number>`count(*)`;
  const byAgentRows = db
    .select({ agentId: auditEvents.agentId, count })
    .from(auditEvents)
    .where(and(range, sql`${auditEvents.agentId} is not null`))
    .groupBy(auditEvents.agentId)
    .orderBy(desc(count))
    .limit(50)
    .all();
  const ids = byAgentRows.map((row) => row.agentId!);
  const names = new Map(
    ids.length === 0
      ? []
      : db
          .select({ id: agents.id, name: agents.name })
          .from(agents)
          .where(inArray(agents.id, ids))
          .all()
          .map((a) => [a.id, a.name]),
  );
  return {
    byOperation: db
      .select({ operation: auditEvents.operation, count })
      .from(auditEvents)
      .where(range)
      .groupBy(auditEvents.operation)
      .orderBy(desc(count))
      .all(),
    byDecision: db
      .select({
        decision: sql<AuditStats["byDecision"][number]["decision"]>`coalesce(${auditEvents.decision}, 'none')`,
        count,
      })
      .from(auditEvents)
      .where(range)
      .groupBy(sql`1`)
      .orderBy(desc(count))
      .all(),
    byAgent: byAgentRows.map((row) => ({
      agentId: row.agentId!,
      agentName: names.get(row.agentId!) ?? "deleted agent",
      count: row.count,
    })),
    byTime: db
      .select({ start: sql<number>`(${auditEvents.at} / ${sql.raw(String(size))}) * ${sql.raw(String(size))}`, count })
      .from(auditEvents)
      .where(range)
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .all(),
  };
}
