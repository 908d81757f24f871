import {
  agentDailyUsage,
  agents,
  auditEvents,
  budgetAlerts,
  latencyHourlyRollups,
  latencyRollups,
  metricHourlyRollups,
  metricRollups,
  metrics,
  projectLatencyHourlyRollups,
  projectLatencyRollups,
  projectMetricHourlyRollups,
  projectMetricRollups,
} from "@tower/db";
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
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
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
const HOUR = 3_600_000;

function assertBucketCount(from: number, to: number, bucketMs: number) {
  if ((to - from) / bucketMs > MAX_BUCKETS) {
    throw new DomainError(
      "BAD_REQUEST",
      `bucket: More than ${MAX_BUCKETS} buckets; choose a coarser bucket or a shorter range`,
    );
  }
}

type Range = { from: number; to: number };

/**
 * Which rollups answer `[from, to)` (taken from the start of `from`'s minute, as minute rollups are
 * stamped): for buckets of whole hours, the whole hours inside the range come from the hourly
 * rollups and only the minutes at either end from the minute rollups; finer buckets read minutes.
 * Either way a row is read per hour or minute of range, never per report stored.
 */
export function splitRange(from: number, to: number, bucketMs: number): { minutes: Range[]; hours: Range | null } {
  const first = from - (from % MINUTE);
  const hoursFrom = Math.ceil(first / HOUR) * HOUR;
  const hoursTo = to - (to % HOUR);
  if (bucketMs % HOUR !== 0 || hoursFrom >= hoursTo) return { minutes: [{ from: first, to }], hours: null };
  const minutes: Range[] = [];
  if (first < hoursFrom) minutes.push({ from: first, to: hoursFrom });
  if (hoursTo < to) minutes.push({ from: hoursTo, to });
  return { minutes, hours: { from: hoursFrom, to: hoursTo } };
}

type Counters = Omit<typeof metricRollups.$inferSelect, "projectId" | "agentId" | "model" | "minute">;
const COUNTERS = [
  "count",
  "successes",
  "failures",
  "tokensIn",
  "tokensOut",
  "costUsd",
  "events",
  "executionMsSum",
  "executionCount",
] as const satisfies readonly (keyof Counters)[];

/** Group labels sort as SQLite's BINARY collation does (UTF-8 bytes), as they did in SQL. */
const byteOrder = (a: string, b: string) => (a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b)));

type CounterTable =
  typeof metricRollups | typeof metricHourlyRollups | typeof projectMetricRollups | typeof projectMetricHourlyRollups;
type LatencyTable =
  | typeof latencyRollups
  | typeof latencyHourlyRollups
  | typeof projectLatencyRollups
  | typeof projectLatencyHourlyRollups;
/** A rollup table with its time column (`minute` or `hour`). */
type Source<T> = { table: T; time: SQLiteColumn };

/**
 * Time-bucketed totals from the rollups (never the raw rows). The fleet as a whole (not split, not
 * filtered) reads the whole-project rollups, whose size does not depend on how many agents and
 * models report; a split or filtered view reads the per-agent-and-model ones.
 */
export function aggregateMetrics(
  { db }: Deps,
  projectId: string,
  input: z.output<typeof MetricsAggregateInputSchema>,
): MetricsBucket[] {
  const size = BUCKET_MS[input.bucket];
  assertBucketCount(input.from, input.to, size);
  const { minutes, hours } = splitRange(input.from, input.to, size);
  const wholeProject = input.groupBy === "none" && !input.agentId && input.model === undefined;
  const counters = wholeProject
    ? {
        minute: { table: projectMetricRollups, time: projectMetricRollups.minute },
        hour: { table: projectMetricHourlyRollups, time: projectMetricHourlyRollups.hour },
      }
    : {
        minute: { table: metricRollups, time: metricRollups.minute },
        hour: { table: metricHourlyRollups, time: metricHourlyRollups.hour },
      };
  const latency = wholeProject
    ? {
        minute: { table: projectLatencyRollups, time: projectLatencyRollups.minute },
        hour: { table: projectLatencyHourlyRollups, time: projectLatencyHourlyRollups.hour },
      }
    : {
        minute: { table: latencyRollups, time: latencyRollups.minute },
        hour: { table: latencyHourlyRollups, time: latencyHourlyRollups.hour },
      };

  // Inlined (not bound): bound numbers are REAL in SQLite and would not divide as integers.
  const startOf = (column: SQLWrapper) =>
    sql<number>`(${column} / ${sql.raw(String(size))}) * ${sql.raw(String(size))}`;
  // The per-agent-and-model tables have `agentId` and `model`; the whole-project ones do not.
  const groupOf = ({ table }: Source<CounterTable | LatencyTable>) =>
    "agentId" in table && input.groupBy !== "none"
      ? input.groupBy === "agent"
        ? table.agentId
        : table.model
      : sql<string>`''`;
  const where = ({ table, time }: Source<CounterTable | LatencyTable>, range: Range) =>
    and(
      eq(table.projectId, projectId),
      gte(time, range.from),
      lt(time, range.to),
      "agentId" in table && input.agentId ? eq(table.agentId, input.agentId) : undefined,
      "agentId" in table && input.model !== undefined ? eq(table.model, input.model) : undefined,
    );

  const totals = new Map<string, { start: number; group: string } & Counters>();
  const addCounters = (source: Source<CounterTable>, range: Range) => {
    const { table } = source;
    const rows = db
      .select({
        start: startOf(source.time),
        group: groupOf(source),
        count: sql<number>`sum(${table.count})`,
        successes: sql<number>`sum(${table.successes})`,
        failures: sql<number>`sum(${table.failures})`,
        tokensIn: sql<number>`sum(${table.tokensIn})`,
        tokensOut: sql<number>`sum(${table.tokensOut})`,
        costUsd: sql<number>`sum(${table.costUsd})`,
        events: sql<number>`sum(${table.events})`,
        executionMsSum: sql<number>`sum(${table.executionMsSum})`,
        executionCount: sql<number>`sum(${table.executionCount})`,
      })
      .from(table)
      .where(where(source, range))
      .groupBy(sql`1`, sql`2`)
      .all();
    for (const row of rows) {
      const key = `${row.start}|${row.group}`;
      const total = totals.get(key);
      if (!total) totals.set(key, row);
      else for (const counter of COUNTERS) total[counter] += row[counter];
    }
  };

  const histograms = new Map<string, Map<number, number>>();
  const addLatency = (source: Source<LatencyTable>, range: Range) => {
    const rows = db
      .select({
        start: startOf(source.time),
        group: groupOf(source),
        bucket: source.table.bucket,
        count: sql<number>`sum(${source.table.count})`,
      })
      .from(source.table)
      .where(where(source, range))
      .groupBy(sql`1`, sql`2`, sql`3`)
      .all();
    for (const row of rows) {
      const key = `${row.start}|${row.group}`;
      const histogram = histograms.get(key) ?? new Map<number, number>();
      histogram.set(row.bucket, (histogram.get(row.bucket) ?? 0) + row.count);
      histograms.set(key, histogram);
    }
  };

  for (const range of minutes) {
    addCounters(counters.minute, range);
    addLatency(latency.minute, range);
  }
  if (hours) {
    addCounters(counters.hour, hours);
    addLatency(latency.hour, hours);
  }

  return [...totals.values()]
    .sort((a, b) => a.start - b.start || byteOrder(a.group, b.group))
    .map((row) => {
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
  // Midnight is a whole hour, so the hourly rollups hold exactly today's minutes: at most 24 rows
  // (more only if reports are stamped in the future), and 5 for the last five minutes.
  const today = db
    .select({
      costUsd: sql<number>`coalesce(sum(${projectMetricHourlyRollups.costUsd}), 0)`,
      tokens: sql<number>`coalesce(sum(${projectMetricHourlyRollups.tokensIn} + ${projectMetricHourlyRollups.tokensOut}), 0)`,
      successes: sql<number>`coalesce(sum(${projectMetricHourlyRollups.successes}), 0)`,
      failures: sql<number>`coalesce(sum(${projectMetricHourlyRollups.failures}), 0)`,
    })
    .from(projectMetricHourlyRollups)
    .where(and(eq(projectMetricHourlyRollups.projectId, projectId), gte(projectMetricHourlyRollups.hour, midnight)))
    .get()!;
  const recent = db
    .select({ n: sql<number>`coalesce(sum(${projectMetricRollups.count} + ${projectMetricRollups.events}), 0)` })
    .from(projectMetricRollups)
    .where(
      and(
        eq(projectMetricRollups.projectId, projectId),
        gte(projectMetricRollups.minute, now - (now % MINUTE) - 4 * MINUTE),
      ),
    )
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
