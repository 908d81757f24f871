import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { MetricType } from "@tower/shared";
import { agents } from "./agents";
import { projects } from "./auth";
import { epochMs } from "./columns";

/** Raw metric reports, one row each; idempotent on (project, client id). */
export const metrics = sqliteTable(
  "metrics",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    clientId: text("client_id").notNull(),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    sessionId: text("session_id"),
    type: text("type").$type<MetricType>().notNull(),
    executionMs: integer("execution_ms"),
    success: integer("success", { mode: "boolean" }),
    tokensIn: integer("tokens_in").notNull().default(0),
    tokensOut: integer("tokens_out").notNull().default(0),
    model: text("model"),
    costUsd: real("cost_usd").notNull().default(0),
    /** `reported`, `price_table`, or `unpriced` (no cost given and no price for the model). */
    costSource: text("cost_source").notNull(),
    quality: real("quality"),
    /** When it happened by the agent's clock (the time Tower received it when the report gave none). */
    at: epochMs("at").notNull(),
    /** Its place in its session, in the order the agent made its reports; null when it had none. */
    seq: integer("seq"),
  },
  (t) => [
    uniqueIndex("metrics_project_client_unique").on(t.projectId, t.clientId),
    index("metrics_project_at_idx").on(t.projectId, t.at),
    index("metrics_agent_at_idx").on(t.agentId, t.at),
  ],
);

/**
 * Per-minute rollups maintained at write time, so aggregates and overviews read a few rows per
 * minute of range instead of scanning raw reports.
 */
export const metricRollups = sqliteTable(
  "metric_rollups",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    model: text("model").notNull().default(""),
    minute: epochMs("minute").notNull(),
    count: integer("count").notNull().default(0),
    successes: integer("successes").notNull().default(0),
    failures: integer("failures").notNull().default(0),
    tokensIn: integer("tokens_in").notNull().default(0),
    tokensOut: integer("tokens_out").notNull().default(0),
    costUsd: real("cost_usd").notNull().default(0),
    executionMsSum: integer("execution_ms_sum").notNull().default(0),
    executionCount: integer("execution_count").notNull().default(0),
    events: integer("events").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.agentId, t.model, t.minute] }),
    index("metric_rollups_project_minute_idx").on(t.projectId, t.minute),
  ],
);

/** The counters of the hourly and whole-project rollups, as in `metric_rollups`. */
const rollupCounters = () => ({
  count: integer("count").notNull().default(0),
  successes: integer("successes").notNull().default(0),
  failures: integer("failures").notNull().default(0),
  tokensIn: integer("tokens_in").notNull().default(0),
  tokensOut: integer("tokens_out").notNull().default(0),
  costUsd: real("cost_usd").notNull().default(0),
  executionMsSum: integer("execution_ms_sum").notNull().default(0),
  executionCount: integer("execution_count").notNull().default(0),
  events: integer("events").notNull().default(0),
});

/**
 * The same counters per hour. This table and the other coarse rollups below are kept equal to the
 * sums of the minute rollups by triggers on `metric_rollups` and `latency_rollups` (migration
 * `0003_rollup-triggers`), whoever writes those, so a day reads at most 24 rows per agent and
 * model. Keys lead with (project, time), so range reads need no second index.
 */
export const metricHourlyRollups = sqliteTable(
  "metric_hourly_rollups",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    model: text("model").notNull().default(""),
    hour: epochMs("hour").notNull(),
    ...rollupCounters(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.hour, t.agentId, t.model] })],
);

/**
 * The whole project's counters per minute (all agents and models together), kept by triggers on
 * `metric_rollups`: fleet-wide figures read one row per minute, however many agents report.
 */
export const projectMetricRollups = sqliteTable(
  "project_metric_rollups",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    minute: epochMs("minute").notNull(),
    ...rollupCounters(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.minute] })],
);

/** The whole project's counters per hour, kept by triggers on `metric_rollups`. */
export const projectMetricHourlyRollups = sqliteTable(
  "project_metric_hourly_rollups",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    hour: epochMs("hour").notNull(),
    ...rollupCounters(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.hour] })],
);

/**
 * A counter per project and hour, raised (by triggers, migration `0005_rollup-revision-triggers`) by every
 * insert, update or delete of a minute rollup (`metric_rollups`, `latency_rollups`) in that hour,
 * whoever writes it. Rows leave only with their project, so a revision never repeats: a reader
 * may keep an hour's rollups in memory for as long as its revision is unchanged.
 */
export const rollupRevisions = sqliteTable(
  "rollup_revisions",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    hour: epochMs("hour").notNull(),
    revision: integer("revision").notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.hour] })],
);

/** What each agent spent per UTC day, for the cost-per-day budget. */
export const agentDailyUsage = sqliteTable(
  "agent_daily_usage",
  {
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    day: text("day").notNull(),
    costUsd: real("cost_usd").notNull().default(0),
    tokens: integer("tokens").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.day] })],
);

/** Budget thresholds crossed (80, 90, 100 %), once per agent, budget and period. */
export const budgetAlerts = sqliteTable(
  "budget_alerts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    budget: text("budget").$type<"tokens_per_session" | "cost_per_day">().notNull(),
    /** The session id or the UTC day the budget applies to. */
    period: text("period").notNull(),
    threshold: integer("threshold").notNull(),
    used: real("used").notNull(),
    limit: real("limit").notNull(),
    at: epochMs("at").notNull(),
  },
  (t) => [
    uniqueIndex("budget_alerts_once").on(t.agentId, t.budget, t.period, t.threshold),
    index("budget_alerts_project_idx").on(t.projectId, t.id),
    // The overview counts today's agents over budget without reading older days' alerts.
    index("budget_alerts_project_period_idx").on(t.projectId, t.period, t.budget, t.threshold, t.agentId),
  ],
);

/**
 * Execution-time histogram per minute (quarter-octave buckets: index = floor(4·log2(ms + 1))), so
 * p50/p95 over any range come from summed bucket counts, not raw rows. Accurate to about ±10 %.
 */
export const latencyRollups = sqliteTable(
  "latency_rollups",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    model: text("model").notNull().default(""),
    minute: epochMs("minute").notNull(),
    bucket: integer("bucket").notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.agentId, t.model, t.minute, t.bucket] }),
    index("latency_rollups_project_minute_idx").on(t.projectId, t.minute),
  ],
);

/** The latency histogram per hour, kept equal to the sum of `latency_rollups` by triggers. */
export const latencyHourlyRollups = sqliteTable(
  "latency_hourly_rollups",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    model: text("model").notNull().default(""),
    hour: epochMs("hour").notNull(),
    bucket: integer("bucket").notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.hour, t.agentId, t.model, t.bucket] })],
);

/**
 * The whole project's latency histogram per minute (all agents and models together), kept by
 * triggers on `latency_rollups`. A fleet-wide percentile then reads one row per histogram bucket
 * and minute instead of one per agent, model, bucket and minute.
 */
export const projectLatencyRollups = sqliteTable(
  "project_latency_rollups",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    minute: epochMs("minute").notNull(),
    bucket: integer("bucket").notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.minute, t.bucket] })],
);

/** The whole project's latency histogram per hour, kept by triggers on `latency_rollups`. */
export const projectLatencyHourlyRollups = sqliteTable(
  "project_latency_hourly_rollups",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    hour: epochMs("hour").notNull(),
    bucket: integer("bucket").notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.hour, t.bucket] })],
);

/** A project's own model prices; models not listed here use Tower's default price table. */
export const modelPrices = sqliteTable(
  "model_prices",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    model: text("model").notNull(),
    inputPerMTok: real("input_per_mtok").notNull(),
    outputPerMTok: real("output_per_mtok").notNull(),
    updatedAt: epochMs("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.model] })],
);
