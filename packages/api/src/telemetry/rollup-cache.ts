import type { TowerDb } from "@tower/db";
import type { ConnectionState } from "../core/connection-state";

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

/** Whole-project rollups (no agent, no model) or the ones per agent and model. */
export type Scope = "project" | "split";
/** The hourly rollups, or the minute ones of an hour. */
export type Resolution = "hour" | "minute";

/** The counters of a rollup row, in this order (aggregateMetrics takes them apart by position). */
const COLUMNS =
  "count, successes, failures, tokens_in, tokens_out, cost_usd, events, execution_ms_sum, execution_count";

/** One rollup row: its hour or minute, agent and model ('' in whole-project rows). */
export interface RollupRow {
  time: number;
  agentId: string;
  model: string;
  /** In `COLUMNS` order; null for a latency histogram without a counters row (ingest writes both). */
  counters: number[] | null;
  /** The latency histogram as bucket, count, bucket, count, … */
  histogram: number[];
}

const TABLES = {
  project: {
    hour: { counters: "project_metric_hourly_rollups", latency: "project_latency_hourly_rollups", time: "hour" },
    minute: { counters: "project_metric_rollups", latency: "project_latency_rollups", time: "minute" },
  },
  split: {
    hour: { counters: "metric_hourly_rollups", latency: "latency_hourly_rollups", time: "hour" },
    minute: { counters: "metric_rollups", latency: "latency_rollups", time: "minute" },
  },
} as const;

/**
 * Statements prepared once per connection and run in raw mode (arrays, no per-row mapping; set at
 * each use, as the connection's statement cache resets modes on statements it hands out). No
 * GROUP BY either: every rollup table holds one row per key and time, and rows are summed in JS.
 */
function prepare(sqlite: TowerDb["$client"]) {
  const loads = (scope: Scope, resolution: Resolution) => {
    const { counters, latency, time } = TABLES[scope][resolution];
    const key = scope === "split" ? "agent_id, model" : "'', ''";
    const range = `WHERE project_id = ? AND ${time} >= ? AND ${time} < ?`;
    return {
      counters: sqlite.prepare(`SELECT ${time}, ${key}, ${COLUMNS} FROM ${counters} ${range}`),
      latency: sqlite.prepare(`SELECT ${time}, ${key}, bucket, count FROM ${latency} ${range}`),
    };
  };
  const minutes = "WHERE project_id = ? AND minute >= ? AND minute < ?";
  return {
    snapshot: sqlite.transaction((read: () => unknown) => read()),
    revisions: sqlite.prepare(
      `SELECT hour, revision FROM rollup_revisions WHERE project_id = ? AND hour >= ? AND hour < ?`,
    ),
    anyMinute: sqlite.prepare(
      `SELECT EXISTS (SELECT 1 FROM project_metric_rollups ${minutes}) OR EXISTS (SELECT 1 FROM project_latency_rollups ${minutes})`,
    ),
    loads: {
      project: { hour: loads("project", "hour"), minute: loads("project", "minute") },
      split: { hour: loads("split", "hour"), minute: loads("split", "minute") },
    },
  };
}

type Statements = ReturnType<typeof prepare>;

interface Entry {
  revision: number;
  /** The minutes read: all of the hour, or part of it when only that part was asked for. */
  from: number;
  to: number;
  rows: RollupRow[];
  cells: number;
}

/**
 * An hour's rollups are kept in memory, per connection, for as long as the hour's revision in
 * `rollup_revisions` is unchanged: triggers raise it with every write to a minute rollup of that
 * hour, so a hit is exactly what the tables hold. Under ingest only the current hour changes; the
 * closed past is read once. Least recently used hours leave first once `MAX_CELLS` is reached.
 */
// A cell is about 8 bytes held (a row with its arrays counts 24), so the cache stays near 10 MB.
const MAX_CELLS = 1_000_000;
/** Longer ranges (day buckets over months) are read without the cache, so they cannot flush it. */
const MAX_CACHED_HOURS = 31 * 24;
/**
 * The revision of an hour without a row: no minute of it was ever written (the migration gave a row
 * to every hour holding rollups, and every write since creates one).
 */
const UNWRITTEN = 0;

class Cache {
  readonly entries = new Map<string, Entry>();
  cells = 0;

  get(key: string, revision: number, { from, to }: { from: number; to: number }): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.revision !== revision || entry.from > from || entry.to < to) return undefined;
    this.entries.delete(key); // re-inserted: the map's order is recency
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: Entry) {
    const old = this.entries.get(key);
    if (old) this.cells -= old.cells;
    this.entries.delete(key);
    if (entry.cells > MAX_CELLS) return;
    this.entries.set(key, entry);
    this.cells += entry.cells;
    for (const [oldest, { cells }] of this.entries) {
      if (this.cells <= MAX_CELLS) break;
      this.entries.delete(oldest);
      this.cells -= cells;
    }
  }
}

interface RollupState {
  statements: Statements;
  cache: Cache;
}

/** The statements and the cache of `db`'s connection, kept in its `state.rollups`. */
function stateOf(state: ConnectionState, db: TowerDb): RollupState {
  // `state.rollups` is typed `object` (core does not know this module); only this function sets it.
  return (state.rollups ??= { statements: prepare(db.$client), cache: new Cache() }) as RollupState;
}

/** Runs `read` in one read transaction: every statement sees the same commit. */
export function readSnapshot<T>(state: ConnectionState, db: TowerDb, read: () => T): T {
  return stateOf(state, db).statements.snapshot(read) as T;
}

/** Whether the project has minute rollups in `[from, to)`. */
export function anyMinuteIn(state: ConnectionState, db: TowerDb, projectId: string, from: number, to: number): boolean {
  if (from >= to) return false;
  const args = [projectId, from, to];
  return (
    stateOf(state, db)
      .statements.anyMinute.pluck()
      .get(...args, ...args) === 1
  );
}

type Raw = (string | number)[];

/** The rows of `[from, to)`, grouped by hour. */
function load(
  statements: Statements,
  projectId: string,
  scope: Scope,
  resolution: Resolution,
  from: number,
  to: number,
) {
  const byHour = new Map<number, RollupRow[]>();
  const byKey = new Map<string, RollupRow>();
  const rowOf = (time: number, agentId: string, model: string, counters: number[] | null) => {
    const row: RollupRow = { time, agentId, model, counters, histogram: [] };
    byKey.set(`${time}|${agentId}|${model}`, row);
    const hour = time - (time % HOUR);
    const rows = byHour.get(hour);
    if (rows) rows.push(row);
    else byHour.set(hour, [row]);
    return row;
  };
  const { counters, latency } = statements.loads[scope][resolution];
  for (const [time, agentId, model, ...values] of counters.raw().all(projectId, from, to) as Raw[]) {
    rowOf(time as number, agentId as string, model as string, values as number[]);
  }
  for (const [time, agentId, model, bucket, count] of latency.raw().all(projectId, from, to) as Raw[]) {
    const row =
      byKey.get(`${time}|${agentId}|${model}`) ?? rowOf(time as number, agentId as string, model as string, null);
    row.histogram.push(bucket as number, count as number);
  }
  return byHour;
}

/** An hour to read: at `resolution`, and of its minutes those in `[from, to)` (all of it by the hour). */
export interface HourRequest {
  hour: number;
  resolution: Resolution;
  from: number;
  to: number;
}

/**
 * The rollup rows of each requested hour, from memory where the hour's revision is unchanged and a
 * kept read covers the minutes asked for, else from the tables (consecutive hours in one range
 * read; only the first and last hour of a range can be partial). Call it inside `readSnapshot`, so
 * that revisions and rows are of the same commit.
 */
export function hourRows(
  state: ConnectionState,
  db: TowerDb,
  projectId: string,
  scope: Scope,
  hours: HourRequest[],
): RollupRow[][] {
  const { statements, cache } = stateOf(state, db);
  const result: RollupRow[][] = hours.map(() => []);
  if (hours.length === 0) return result;
  const cached = hours.length <= MAX_CACHED_HOURS;
  const revisions = new Map<number, number>();
  if (cached) {
    const range = [projectId, hours[0]!.hour, hours.at(-1)!.hour + HOUR];
    for (const [hour, revision] of statements.revisions.raw().all(...range) as number[][])
      revisions.set(hour!, revision!);
  }
  const keyOf = ({ hour, resolution }: HourRequest) => `${projectId}|${scope}|${resolution}|${hour}`;
  const revisionOf = ({ hour }: HourRequest) => revisions.get(hour) ?? UNWRITTEN;
  const missing: number[] = [];
  hours.forEach((request, i) => {
    const hit = cached ? cache.get(keyOf(request), revisionOf(request), request) : undefined;
    if (hit) result[i] = hit.rows;
    else missing.push(i);
  });
  // Runs of consecutive hours at one resolution are one read.
  for (let start = 0; start < missing.length;) {
    let end = start + 1;
    const first = hours[missing[start]!]!;
    while (
      end < missing.length &&
      missing[end] === missing[end - 1]! + 1 &&
      hours[missing[end]!]!.resolution === first.resolution
    )
      end++;
    const byHour = load(statements, projectId, scope, first.resolution, first.from, hours[missing[end - 1]!]!.to);
    for (const i of missing.slice(start, end)) {
      const request = hours[i]!;
      const rows = byHour.get(request.hour) ?? [];
      result[i] = rows;
      if (!cached) continue;
      const cells = rows.reduce((sum, row) => sum + 24 + row.histogram.length, 1);
      cache.set(keyOf(request), { revision: revisionOf(request), from: request.from, to: request.to, rows, cells });
    }
    start = end;
  }
  return result;
}
