/**
 * The hourly and whole-project rollups are derived from the minute rollups by triggers (and, for
 * databases that already hold minute rollups, by the migration that adds them): whatever happens
 * to the minute rows, the coarser rows must stay their exact sums.
 */
import type Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client";
import { databaseMigratedThrough as migratedThrough } from "./migration-fixtures";
import { createTestDb } from "./test-db";

const HOUR = 3_600_000;
const t0 = Date.UTC(2026, 0, 1, 9);

const handles: { close(): void }[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  handles.splice(0).forEach((handle) => handle.close());
  cleanups.splice(0).forEach((cleanup) => cleanup());
});

function databaseMigratedThrough(tag: string) {
  const migrated = migratedThrough(tag);
  cleanups.push(migrated.cleanup);
  return migrated;
}

const COUNTERS = [
  "count",
  "successes",
  "failures",
  "tokens_in",
  "tokens_out",
  "cost_usd",
  "execution_ms_sum",
  "execution_count",
  "events",
];
const sums = COUNTERS.map((c) => `round(sum(${c}), 9)`).join(", ");
const values = COUNTERS.map((c) => `round(${c}, 9)`).join(", ");

/** Rows of the coarse rollups that differ from the sums of the minute rollups (both ways). */
function drift(sqlite: Database.Database) {
  const pairs: [string, string][] = [
    [
      `select project_id, agent_id, model, minute - minute % ${HOUR}, ${sums} from metric_rollups group by 1, 2, 3, 4`,
      `select project_id, agent_id, model, hour, ${values} from metric_hourly_rollups`,
    ],
    [
      `select project_id, minute, ${sums} from metric_rollups group by 1, 2`,
      `select project_id, minute, ${values} from project_metric_rollups`,
    ],
    [
      `select project_id, minute - minute % ${HOUR}, ${sums} from metric_rollups group by 1, 2`,
      `select project_id, hour, ${values} from project_metric_hourly_rollups`,
    ],
    [
      `select project_id, agent_id, model, minute - minute % ${HOUR}, bucket, sum(count) from latency_rollups group by 1, 2, 3, 4, 5`,
      `select project_id, agent_id, model, hour, bucket, count from latency_hourly_rollups`,
    ],
    [
      `select project_id, minute, bucket, sum(count) from latency_rollups group by 1, 2, 3`,
      `select project_id, minute, bucket, count from project_latency_rollups`,
    ],
    [
      `select project_id, minute - minute % ${HOUR}, bucket, sum(count) from latency_rollups group by 1, 2, 3`,
      `select project_id, hour, bucket, count from project_latency_hourly_rollups`,
    ],
  ];
  return pairs.flatMap(([fine, coarse]) => [
    ...sqlite.prepare(`${fine} except ${coarse}`).raw().all(),
    ...sqlite.prepare(`${coarse} except ${fine}`).raw().all(),
  ]);
}

function seedOwners(sqlite: Database.Database) {
  sqlite.exec(`
    insert into projects (id, name, created_at) values ('p1', 'P', 1), ('p2', 'Q', 1);
    insert into agents (id, project_id, name, role, created_at, updated_at) values
      ('a1', 'p1', 'one', 'coder', 1, 1), ('a2', 'p1', 'two', 'coder', 1, 1), ('b1', 'p2', 'three', 'coder', 1, 1);
  `);
}

/** Increments as ingest writes them: upserts that add to an existing minute row. */
function writeMinutes(sqlite: Database.Database, n: number, seed: number) {
  const metric = sqlite.prepare(`
    insert into metric_rollups (project_id, agent_id, model, minute, count, successes, failures, tokens_in, tokens_out, cost_usd, execution_ms_sum, execution_count, events)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    on conflict (project_id, agent_id, model, minute) do update set
      count = count + excluded.count, successes = successes + excluded.successes, failures = failures + excluded.failures,
      tokens_in = tokens_in + excluded.tokens_in, tokens_out = tokens_out + excluded.tokens_out,
      cost_usd = cost_usd + excluded.cost_usd, execution_ms_sum = execution_ms_sum + excluded.execution_ms_sum,
      execution_count = execution_count + excluded.execution_count, events = events + excluded.events`);
  const latency = sqlite.prepare(`
    insert into latency_rollups (project_id, agent_id, model, minute, bucket, count) values (?, ?, ?, ?, ?, ?)
    on conflict (project_id, agent_id, model, minute, bucket) do update set count = count + excluded.count`);
  const owners = [
    ["p1", "a1"],
    ["p1", "a2"],
    ["p2", "b1"],
  ] as const;
  let x = seed;
  const next = (k: number) => ((x = (x * 1_103_515_245 + 12_345) % 2_147_483_648), x % k);
  sqlite.transaction(() => {
    for (let i = 0; i < n; i++) {
      const [project, agent] = owners[next(3)]!;
      const model = ["gpt-4o", "", "claude"][next(3)]!;
      const minute = t0 + next(180) * 60_000;
      const count = 1 + next(5);
      metric.run(
        project,
        agent,
        model,
        minute,
        count,
        count - 1,
        1,
        next(900),
        next(90),
        next(1000) / 1e4,
        next(5000),
        count,
        next(2),
      );
      latency.run(project, agent, model, minute, next(40), count);
    }
  })();
}

describe("hourly and whole-project rollups", () => {
  it("stay the exact sums of the minute rollups through upserts, updates and deletes", () => {
    const { sqlite } = createTestDb();
    seedOwners(sqlite);
    writeMinutes(sqlite, 2_000, 1);
    expect(drift(sqlite)).toEqual([]);
    expect(sqlite.prepare("select count(*) from metric_hourly_rollups").pluck().get()).toBeGreaterThan(0);

    sqlite.exec(`update metric_rollups set tokens_in = tokens_in * 2, cost_usd = cost_usd / 2 where minute % 7 = 0`);
    sqlite.exec(`update latency_rollups set count = count + 3 where bucket % 3 = 0`);
    sqlite.exec(`delete from metric_rollups where minute < ${t0 + 30 * 60_000}`);
    sqlite.exec(`delete from latency_rollups where bucket > 30`);
    expect(drift(sqlite)).toEqual([]);
  });

  it("leave with their agent and project, and cascades do not trip over the triggers", () => {
    const { sqlite } = createTestDb();
    seedOwners(sqlite);
    writeMinutes(sqlite, 500, 2);
    sqlite.exec(`delete from agents where id = 'a2'`);
    expect(drift(sqlite)).toEqual([]);
    expect(sqlite.prepare(`select count(*) from metric_hourly_rollups where agent_id = 'a2'`).pluck().get()).toBe(0);
    sqlite.exec(`delete from projects where id = 'p2'`);
    expect(drift(sqlite)).toEqual([]);
    for (const table of [
      "metric_hourly_rollups",
      "latency_hourly_rollups",
      "project_metric_rollups",
      "project_metric_hourly_rollups",
      "project_latency_rollups",
      "project_latency_hourly_rollups",
    ]) {
      expect(sqlite.prepare(`select count(*) from ${table} where project_id = 'p2'`).pluck().get()).toBe(0);
    }
  });

  it("refuse to move a minute row to another key", () => {
    const { sqlite } = createTestDb();
    seedOwners(sqlite);
    writeMinutes(sqlite, 10, 3);
    expect(() => sqlite.exec(`update metric_rollups set minute = minute + ${HOUR}`)).toThrow(/key cannot change/);
    expect(() => sqlite.exec(`update latency_rollups set bucket = bucket + 1`)).toThrow(/key cannot change/);
    expect(drift(sqlite)).toEqual([]);
  });

  it("are filled from the minute rollups a database already holds when the migration runs", () => {
    // The database as it stood before the coarse rollups existed.
    const { file, old } = databaseMigratedThrough("0001_audit-triggers");
    seedOwners(old);
    writeMinutes(old, 1_000, 4);
    old.close();

    const upgraded: DbHandle = createDb(file);
    handles.push(upgraded);
    expect(upgraded.sqlite.prepare("select sum(count) from project_metric_hourly_rollups").pluck().get()).toBe(
      upgraded.sqlite.prepare("select sum(count) from metric_rollups").pluck().get(),
    );
    expect(drift(upgraded.sqlite)).toEqual([]);
    // …and kept from then on.
    writeMinutes(upgraded.sqlite, 300, 5);
    expect(drift(upgraded.sqlite)).toEqual([]);
  });
});

describe("rollup revisions", () => {
  const revisions = (sqlite: Database.Database) =>
    Object.fromEntries(
      (
        sqlite.prepare("select project_id, hour, revision from rollup_revisions").raw().all() as [
          string,
          number,
          number,
        ][]
      ).map(([project, hour, revision]) => [`${project}@${(hour - t0) / HOUR}`, revision]),
    );

  it("rise with every write to a minute rollup of their project's hour, and only there", () => {
    const { sqlite } = createTestDb();
    seedOwners(sqlite);
    sqlite.exec(`
      insert into metric_rollups (project_id, agent_id, model, minute, count) values ('p1', 'a1', '', ${t0 + 60_000}, 1);
      insert into latency_rollups (project_id, agent_id, model, minute, bucket, count) values ('p1', 'a1', '', ${t0 + 60_000}, 3, 1);
      insert into metric_rollups (project_id, agent_id, model, minute, count) values ('p2', 'b1', '', ${t0 + HOUR}, 1);
    `);
    expect(revisions(sqlite)).toEqual({ "p1@0": 2, "p2@1": 1 });
    sqlite.exec(`update metric_rollups set count = count + 1 where project_id = 'p1'`);
    sqlite.exec(`update latency_rollups set count = count + 1`);
    expect(revisions(sqlite)).toEqual({ "p1@0": 4, "p2@1": 1 });
    sqlite.exec(`delete from latency_rollups`);
    sqlite.exec(`delete from metric_rollups where project_id = 'p2'`);
    expect(revisions(sqlite)).toEqual({ "p1@0": 5, "p2@1": 2 });
  });

  it("rise when a cascade removes minute rollups, and leave with their project", () => {
    const { sqlite } = createTestDb();
    seedOwners(sqlite);
    writeMinutes(sqlite, 300, 6);
    const before = revisions(sqlite);
    sqlite.exec(`delete from agents where id = 'a2'`);
    const after = revisions(sqlite);
    for (const key of Object.keys(before).filter((k) => k.startsWith("p1@")))
      expect(after[key]).toBeGreaterThan(before[key]!);
    sqlite.exec(`delete from projects where id = 'p2'`);
    expect(Object.keys(revisions(sqlite)).filter((k) => k.startsWith("p2@"))).toEqual([]);
  });

  it("exist for every hour a database already holds when the migration runs", () => {
    const { file, old } = databaseMigratedThrough("0003_rollup-triggers");
    seedOwners(old);
    writeMinutes(old, 500, 7);
    const hours = old
      .prepare(
        `select distinct project_id || '@' || ((minute - minute % ${HOUR} - ${t0}) / ${HOUR}) from metric_rollups`,
      )
      .pluck()
      .all();
    old.close();

    const upgraded: DbHandle = createDb(file);
    handles.push(upgraded);
    expect(Object.keys(revisions(upgraded.sqlite)).sort()).toEqual((hours as string[]).sort());
    // Deletes only raise existing rows: every hour with minute rollups must have one.
    upgraded.sqlite.exec(`delete from metric_rollups where agent_id = 'a1'`);
    expect(Object.values(revisions(upgraded.sqlite)).some((revision) => revision > 1)).toBe(true);
  });
});
