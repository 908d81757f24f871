/**
 * The aggregate keeps hours it has read in memory (rollup-cache.ts) while their revision stands.
 * These tests edit the coarse rollup tables behind its back (no trigger raises a revision for
 * that), so an answer shows where it came from: still the old figure means memory, the edited one
 * means the hourly table, neither means the minute rollups.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorld, type World } from "../test-fixtures";

const MINUTE = 60_000;
const HOUR = 3_600_000;

let world: World;
let projectId: string;
let now: number;
let hour: number;
beforeEach(async () => {
  world = await createWorld();
  projectId = world.projectId;
  world.clock.advance(5 * HOUR + 17 * MINUTE + 31_000);
  now = world.deps.clock.now();
  hour = now - (now % HOUR);
});
afterEach(() => world.close());

const key = () => world.as({ apiKey: world.keys.manage.secret });
let ids = 0;
const metric = (at: number, agent = "home-agent") => ({
  kind: "metric",
  id: `metric-${String(++ids).padStart(6, "0")}`,
  agent,
  type: "execution",
  at,
  executionMs: 100,
  success: true,
  tokensIn: 10,
  tokensOut: 5,
  costUsd: 0.01,
  model: "gpt-4o",
});
const ingest = (items: unknown[]) => key().ingest.report({ projectId, items });
const day = (groupBy: "none" | "agent" = "none") =>
  key().metrics.aggregate({ projectId, bucket: "hour", from: now - 24 * HOUR, to: now, groupBy });
const countAt = async (start: number, groupBy: "none" | "agent" = "none") =>
  (await day(groupBy)).filter((b) => b.start === start).map((b) => [b.group, b.count]);
/** Adds to an hour's whole-project count without raising its revision. */
const editHour = (at: number, add: number) =>
  world.sqlite.exec(
    `update project_metric_hourly_rollups set count = count + ${add} where project_id = '${projectId}' and hour = ${at}`,
  );

describe("metrics.aggregate from the rollup cache", () => {
  it("answers a past hour from memory until a write to that hour, however late, raises its revision", async () => {
    const past = hour - 2 * HOUR;
    await ingest([metric(past + MINUTE), metric(past + 2 * MINUTE), metric(past + 3 * MINUTE), metric(now - MINUTE)]);
    expect(await countAt(past)).toEqual([["", 3]]);
    editHour(past, 100);
    expect(await countAt(past)).toEqual([["", 3]]);
    // A late report stamped in that hour: the hour is read again (edit included).
    await ingest([metric(past + 30 * MINUTE)]);
    expect(await countAt(past)).toEqual([["", 104]]);
    // Writes to other hours leave it in memory.
    editHour(past, 1_000);
    await ingest([metric(now - 2 * MINUTE)]);
    expect(await countAt(past)).toEqual([["", 104]]);
  });

  it("follows late reports and deleted agents in a split view", async () => {
    const owner = world.as({ sessionToken: world.users.owner.token });
    const second = await owner.agent.create({ projectId, name: "second", role: "coder" });
    const past = hour - 3 * HOUR;
    await ingest([metric(past + MINUTE), metric(past + MINUTE, "second"), metric(past + 2 * MINUTE, "second")]);
    const groups = (rows: (string | number)[][]) => Object.fromEntries(rows);
    expect(groups(await countAt(past, "agent"))).toEqual({ [world.homeAgent.id]: 1, [second.id]: 2 });
    await ingest([metric(past + 59 * MINUTE)]);
    expect(groups(await countAt(past, "agent"))).toEqual({ [world.homeAgent.id]: 2, [second.id]: 2 });
    await owner.agent.delete({ projectId, id: second.id });
    expect(groups(await countAt(past, "agent"))).toEqual({ [world.homeAgent.id]: 2 });
    expect(await countAt(past)).toEqual([["", 2]]);
  });

  it("reads the current hour from the hourly rollups while nothing is stamped after `to`", async () => {
    await ingest([metric(hour + MINUTE), metric(hour + 5 * MINUTE), metric(hour - 23 * HOUR)]);
    editHour(hour, 100);
    expect(await countAt(hour)).toEqual([["", 102]]);
    // A report after `to` in the same hour: only the minutes up to `to` count.
    await ingest([metric(now + 10 * MINUTE)]);
    expect(await countAt(hour)).toEqual([["", 2]]);
  });

  it("reads long ranges from the tables, never keeping them", async () => {
    const past = hour - 20 * 24 * HOUR;
    await ingest([metric(past + MINUTE)]);
    const days = () =>
      key().metrics.aggregate({ projectId, bucket: "day", from: hour - 40 * 24 * HOUR, to: hour + HOUR });
    expect((await days()).map((b) => b.count)).toEqual([1]);
    editHour(past, 5);
    expect((await days()).map((b) => b.count)).toEqual([6]);
  });
});
