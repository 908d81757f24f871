import {
  agentDailyUsage,
  agents,
  budgetAlerts,
  metrics,
  projectMetricHourlyRollups,
  projectMetricRollups,
} from "@tower/db";
import { BUCKET_MS, type BudgetAlert, type FleetOverview, type MetricRecord, type MetricsBucket } from "@tower/shared";
import { and, desc, eq, gte, lt, lte, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import type { AlertListInputSchema, MetricsAggregateInputSchema, MetricsListInputSchema } from "@tower/shared";
import { assertBucketCount } from "../core/buckets";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { prepared, slot } from "../core/prepared";
import { utcDay } from "./budget-service";
import { quantile } from "./latency";
import { anyMinuteIn, HOUR, hourRows, MINUTE, readSnapshot, type HourRequest } from "./rollup-cache";

/**
 * The hours that `[first, to)` touches (`first` at a minute's start, as minute rollups are
 * stamped), each with whether every minute of it lies in the range.
 */
export function hoursOf(first: number, to: number): { hour: number; whole: boolean }[] {
  const hours = [];
  for (let hour = first - (first % HOUR); hour < to; hour += HOUR) {
    hours.push({ hour, whole: hour >= first && hour + HOUR <= to });
  }
  return hours;
}

/** Group labels sort as SQLite's BINARY collation does (UTF-8 bytes), as they did in SQL. */
const byteOrder = (a: string, b: string) => (a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b)));

/**
 * Time-bucketed totals from the rollups (never the raw rows), read an hour at a time through the
 * rollup cache: for buckets of whole hours, an hour comes from the hourly rollups when the range
 * holds all of its minutes (or all the minutes it has: the current hour, with nothing stamped
 * after `to`), else from its minute rollups. The fleet as a whole (not split, not filtered) reads
 * the whole-project rollups, whose size does not depend on how many agents and models report; a
 * split or filtered view reads the per-agent-and-model ones and filters them here.
 */
export function aggregateMetrics(
  { db, state }: Deps,
  projectId: string,
  input: z.output<typeof MetricsAggregateInputSchema>,
): MetricsBucket[] {
  const size = BUCKET_MS[input.bucket];
  assertBucketCount(input.from, input.to, size);
  const first = input.from - (input.from % MINUTE);
  const { to } = input;
  const wholeProject = input.groupBy === "none" && !input.agentId && input.model === undefined;
  const planned = hoursOf(first, to);
  const rows = readSnapshot(state, db, () => {
    const hours = planned.map(({ hour, whole }): HourRequest => {
      const byHour =
        size % HOUR === 0 &&
        (whole ||
          (!anyMinuteIn(state, db, projectId, hour, first) && !anyMinuteIn(state, db, projectId, to, hour + HOUR)));
      return byHour
        ? { hour, resolution: "hour", from: hour, to: hour + HOUR }
        : { hour, resolution: "minute", from: Math.max(hour, first), to: Math.min(hour + HOUR, to) };
    });
    return { hours, rows: hourRows(state, db, projectId, wholeProject ? "project" : "split", hours) };
  });

  const totals = new Map<string, { start: number; group: string; counters: number[] }>();
  const histograms = new Map<string, Map<number, number>>();
  const latencyOnly: [string, number[]][] = [];
  rows.hours.forEach(({ resolution }, i) => {
    for (const row of rows.rows[i]!) {
      if (resolution === "minute" && (row.time < first || row.time >= to)) continue;
      if (input.agentId && row.agentId !== input.agentId) continue;
      if (input.model !== undefined && row.model !== input.model) continue;
      const start = row.time - (row.time % size);
      const group = input.groupBy === "agent" ? row.agentId : input.groupBy === "model" ? row.model : "";
      const key = `${start}|${group}`;
      if (row.counters) {
        const total = totals.get(key);
        if (!total) totals.set(key, { start, group, counters: [...row.counters] });
        else row.counters.forEach((value, c) => (total.counters[c]! += value));
      }
      if (row.histogram.length === 0) continue;
      if (!row.counters) latencyOnly.push([key, row.histogram]);
      else addHistogram(histograms, key, row.histogram);
    }
  });
  // The counters decide which buckets exist; a histogram without counters joins only those.
  for (const [key, histogram] of latencyOnly) if (totals.has(key)) addHistogram(histograms, key, histogram);

  return [...totals.values()]
    .sort((a, b) => a.start - b.start || byteOrder(a.group, b.group))
    .map(({ start, group, counters }) => {
      const [count, successes, failures, tokensIn, tokensOut, costUsd, events, executionMsSum, executionCount] =
        counters as [number, number, number, number, number, number, number, number, number];
      const histogram = histograms.get(`${start}|${group}`) ?? new Map<number, number>();
      const runs = successes + failures;
      return {
        start,
        group,
        count,
        successes,
        failures,
        successRate: runs > 0 ? successes / runs : null,
        tokensIn,
        tokensOut,
        costUsd,
        events,
        avgExecutionMs: executionCount > 0 ? executionMsSum / executionCount : null,
        p50ExecutionMs: quantile(histogram, 0.5),
        p95ExecutionMs: quantile(histogram, 0.95),
      };
    });
}

function addHistogram(histograms: Map<string, Map<number, number>>, key: string, pairs: number[]) {
  let histogram = histograms.get(key);
  if (!histogram) histograms.set(key, (histogram = new Map()));
  for (let j = 0; j < pairs.length; j += 2) histogram.set(pairs[j]!, (histogram.get(pairs[j]!) ?? 0) + pairs[j + 1]!);
}

/** A session's metrics in the order its agent made them: its time, its sequence number, then commit. */
const agentOrderKeys = [metrics.at, sql<number>`coalesce(${metrics.seq}, 0)`, metrics.id] as const;

/**
 * Raw metric reports, newest first, keyset-paged: in the order of commit, or with `order: "agent"`
 * one session in the order its agent made the reports.
 */
export function listMetrics({ db }: Deps, projectId: string, input: z.output<typeof MetricsListInputSchema>) {
  const byAgent = input.order === "agent";
  let afterCursor: SQL | undefined;
  if (input.cursor && !byAgent) afterCursor = lt(metrics.id, input.cursor);
  if (input.cursor && byAgent) {
    const [, seq] = agentOrderKeys;
    const after = db
      .select({ at: metrics.at, seq })
      .from(metrics)
      .where(and(eq(metrics.projectId, projectId), eq(metrics.id, input.cursor)))
      .get();
    if (!after) throw new DomainError("NOT_FOUND", `Metric ${input.cursor} (the cursor) is not in this project`);
    afterCursor = sql`(${sql.join([...agentOrderKeys], sql`, `)}) < (${after.at}, ${after.seq}, ${input.cursor})`;
  }
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
        afterCursor,
      ),
    )
    .orderBy(...(byAgent ? agentOrderKeys.map((key) => desc(key)) : [desc(metrics.id)]))
    .limit(input.limit + 1)
    .all();
  const items: MetricRecord[] = rows.slice(0, input.limit).map(({ projectId: _p, clientId: _c, ...row }) => row);
  return { items, nextCursor: rows.length > input.limit ? (items.at(-1)?.id ?? null) : null };
}

/**
 * The Overview page's queries, built once per connection (building one costs more than running it):
 * each reads a handful of index entries.
 */
function overviewQueries({ db, state }: Pick<Deps, "db" | "state">) {
  return prepared(state, "telemetry.overview", () => ({
    // Midnight is a whole hour, so the hourly rollups hold exactly today's minutes: at most 24 rows
    // (more only if reports are stamped in the future), and 5 for the last five minutes.
    today: db
      .select({
        costUsd: sql<number>`coalesce(sum(${projectMetricHourlyRollups.costUsd}), 0)`,
        tokens: sql<number>`coalesce(sum(${projectMetricHourlyRollups.tokensIn} + ${projectMetricHourlyRollups.tokensOut}), 0)`,
        successes: sql<number>`coalesce(sum(${projectMetricHourlyRollups.successes}), 0)`,
        failures: sql<number>`coalesce(sum(${projectMetricHourlyRollups.failures}), 0)`,
      })
      .from(projectMetricHourlyRollups)
      .where(
        and(
          eq(projectMetricHourlyRollups.projectId, slot("projectId")),
          gte(projectMetricHourlyRollups.hour, slot("midnight")),
        ),
      )
      .prepare(),
    recent: db
      .select({ n: sql<number>`coalesce(sum(${projectMetricRollups.count} + ${projectMetricRollups.events}), 0)` })
      .from(projectMetricRollups)
      .where(
        and(eq(projectMetricRollups.projectId, slot("projectId")), gte(projectMetricRollups.minute, slot("since"))),
      )
      .prepare(),
    fleet: db
      .select({
        total: sql<number>`count(*)`,
        active: sql<number>`coalesce(sum(${agents.status} in ('idle', 'busy')), 0)`,
      })
      .from(agents)
      .where(eq(agents.projectId, slot("projectId")))
      .prepare(),
    // Served by budget_alerts_project_period_idx alone: today's alerts, not every day's.
    over: db
      .select({ n: sql<number>`count(distinct ${budgetAlerts.agentId})` })
      .from(budgetAlerts)
      .where(
        and(
          eq(budgetAlerts.projectId, slot("projectId")),
          eq(budgetAlerts.period, slot("day")),
          eq(budgetAlerts.budget, "cost_per_day"),
          eq(budgetAlerts.threshold, 100),
        ),
      )
      .prepare(),
  }));
}

/** The numbers on the Overview page. */
export function fleetOverview(deps: Deps, projectId: string): FleetOverview {
  const now = deps.clock.now();
  const queries = overviewQueries(deps);
  const today = queries.today.get({ projectId, midnight: now - (now % 86_400_000) })!;
  const recent = queries.recent.get({ projectId, since: now - (now % MINUTE) - 4 * MINUTE })!;
  const fleet = queries.fleet.get({ projectId })!;
  const over = queries.over.get({ projectId, day: utcDay(now) })!;
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
