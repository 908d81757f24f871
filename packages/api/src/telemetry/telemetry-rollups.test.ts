/**
 * Aggregates and the overview are answered from rollups (minute, hourly, whole-project latency);
 * these tests compute the same answers from the raw reports and require them to be equal.
 */
import { BUCKET_MS, type MetricsBucket } from "@tower/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorld, type World } from "../test-fixtures";
import { latencyBucket, quantile } from "./latency";
import { hoursOf } from "./telemetry-service";

const MINUTE = 60_000;
const HOUR = 3_600_000;

let world: World;
let projectId: string;
let now: number;
beforeEach(async () => {
  world = await createWorld();
  projectId = world.projectId;
  world.clock.advance(5 * HOUR + 17 * MINUTE + 31_000);
  now = world.deps.clock.now();
});
afterEach(() => world.close());

const key = () => world.as({ apiKey: world.keys.manage.secret });

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Report {
  kind: "metric" | "event";
  agent: string;
  at: number;
  model?: string;
  success?: boolean;
  executionMs?: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

const AGENTS = ["home-agent", "second", "third"];
const MODELS = ["gpt-4o", "claude-sonnet", undefined];

/** Reports spread over the last 30 hours and the next 2, through the real ingest path. */
async function ingestSpread(n: number, seed: number): Promise<{ reports: Report[]; agentIds: Map<string, string> }> {
  const owner = world.as({ sessionToken: world.users.owner.token });
  const agentIds = new Map([["home-agent", world.homeAgent.id]]);
  for (const name of AGENTS.slice(1)) {
    agentIds.set(name, (await owner.agent.create({ projectId, name, role: "coder" })).id);
  }
  const next = random(seed);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;
  const reports: Report[] = Array.from({ length: n }, () => {
    const at = now - 30 * HOUR + Math.floor(next() * 32 * HOUR);
    if (next() < 0.2) return { kind: "event", agent: pick(AGENTS), at, tokensIn: 0, tokensOut: 0, costUsd: 0 };
    const outcome = next();
    return {
      kind: "metric",
      agent: pick(AGENTS),
      at,
      model: pick(MODELS),
      success: outcome < 0.1 ? false : outcome < 0.9 ? true : undefined,
      executionMs: next() < 0.9 ? Math.floor(next() ** 3 * 20_000) : undefined,
      tokensIn: Math.floor(next() * 500),
      tokensOut: Math.floor(next() * 200),
      costUsd: Math.round(next() * 1_000) / 100_000,
    };
  });
  const items = reports.map((r, i) =>
    r.kind === "event"
      ? { kind: "event", id: `event-${String(i).padStart(6, "0")}`, agent: r.agent, at: r.at, operation: "tool_use" }
      : {
          kind: "metric",
          id: `metric-${String(i).padStart(6, "0")}`,
          agent: r.agent,
          type: "execution",
          at: r.at,
          model: r.model,
          success: r.success,
          executionMs: r.executionMs,
          tokensIn: r.tokensIn,
          tokensOut: r.tokensOut,
          costUsd: r.costUsd,
        },
  );
  for (let i = 0; i < items.length; i += 100) {
    await key().ingest.report({ projectId, items: items.slice(i, i + 100) });
  }
  // Retries of stored reports change nothing.
  await key().ingest.report({ projectId, items: items.slice(0, 50) });
  return { reports, agentIds };
}

interface Query {
  bucket: "minute" | "hour" | "day";
  from: number;
  to: number;
  groupBy?: "none" | "agent" | "model";
  agentId?: string;
  model?: string;
}

/** The aggregate's meaning, computed from the reports themselves: each report in its minute. */
function fromReports(reports: Report[], agentIds: Map<string, string>, q: Query) {
  const size = BUCKET_MS[q.bucket];
  const first = q.from - (q.from % MINUTE);
  const buckets = new Map<string, MetricsBucket & { sum: number; timed: number; histogram: Map<number, number> }>();
  for (const r of reports) {
    const minute = r.at - (r.at % MINUTE);
    const agentId = agentIds.get(r.agent)!;
    const model = r.model ?? "";
    if (minute < first || minute >= q.to) continue;
    if (q.agentId && agentId !== q.agentId) continue;
    if (q.model !== undefined && model !== q.model) continue;
    const start = Math.floor(minute / size) * size;
    const group = q.groupBy === "agent" ? agentId : q.groupBy === "model" ? model : "";
    const id = `${start}|${group}`;
    let b = buckets.get(id);
    if (!b) {
      b = {
        start,
        group,
        count: 0,
        successes: 0,
        failures: 0,
        successRate: null,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: 0,
        events: 0,
        avgExecutionMs: null,
        p50ExecutionMs: null,
        p95ExecutionMs: null,
        sum: 0,
        timed: 0,
        histogram: new Map(),
      };
      buckets.set(id, b);
    }
    if (r.kind === "event") {
      b.events++;
      continue;
    }
    b.count++;
    if (r.success === true) b.successes++;
    if (r.success === false) b.failures++;
    b.tokensIn += r.tokensIn;
    b.tokensOut += r.tokensOut;
    b.costUsd += r.costUsd;
    if (r.executionMs !== undefined) {
      b.sum += r.executionMs;
      b.timed++;
      const bucket = latencyBucket(r.executionMs);
      b.histogram.set(bucket, (b.histogram.get(bucket) ?? 0) + 1);
    }
  }
  const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  return [...buckets.values()]
    .sort((a, b) => a.start - b.start || bytes(a.group, b.group))
    .map(({ sum, timed, histogram, ...b }) => {
      const runs = b.successes + b.failures;
      return {
        ...b,
        successRate: runs > 0 ? b.successes / runs : null,
        avgExecutionMs: timed > 0 ? sum / timed : null,
        p50ExecutionMs: quantile(histogram, 0.5),
        p95ExecutionMs: quantile(histogram, 0.95),
      };
    });
}

function expectSameBuckets(actual: MetricsBucket[], expected: MetricsBucket[]) {
  expect(actual.map((b) => [b.start, b.group])).toEqual(expected.map((b) => [b.start, b.group]));
  actual.forEach((bucket, i) => {
    const { costUsd, successRate, avgExecutionMs, ...exact } = expected[i]!;
    expect(bucket).toMatchObject(exact);
    expect(bucket.costUsd).toBeCloseTo(costUsd, 9);
    if (successRate === null) expect(bucket.successRate).toBeNull();
    else expect(bucket.successRate).toBeCloseTo(successRate, 9);
    if (avgExecutionMs === null) expect(bucket.avgExecutionMs).toBeNull();
    else expect(bucket.avgExecutionMs).toBeCloseTo(avgExecutionMs, 6);
  });
}

describe("hoursOf", () => {
  const h0 = Date.UTC(2026, 0, 1, 10);
  it("lists every hour the range touches, whole where the range holds all of its minutes", () => {
    expect(hoursOf(h0 + 17 * MINUTE, h0 + 2 * HOUR + 3 * MINUTE + 1)).toEqual([
      { hour: h0, whole: false },
      { hour: h0 + HOUR, whole: true },
      { hour: h0 + 2 * HOUR, whole: false },
    ]);
    expect(hoursOf(h0, h0 + 2 * HOUR)).toEqual([
      { hour: h0, whole: true },
      { hour: h0 + HOUR, whole: true },
    ]);
    expect(hoursOf(h0 + MINUTE, h0 + 2 * MINUTE)).toEqual([{ hour: h0, whole: false }]);
  });
});

describe("metrics.aggregate from rollups", () => {
  it("equals the same aggregate computed from the raw reports, for every bucket, range, split and filter", async () => {
    const { reports, agentIds } = await ingestSpread(1_500, 7);
    const second = agentIds.get("second")!;
    const hour = now - (now % HOUR);
    const queries: Query[] = [
      // A day to now, not aligned to hours (the benchmark's query), plain, split and filtered.
      { bucket: "hour", from: now - 24 * HOUR, to: now },
      { bucket: "hour", from: now - 24 * HOUR, to: now, groupBy: "agent" },
      { bucket: "hour", from: now - 24 * HOUR, to: now, groupBy: "model" },
      { bucket: "hour", from: now - 24 * HOUR, to: now, agentId: second },
      { bucket: "hour", from: now - 24 * HOUR, to: now, model: "gpt-4o", groupBy: "agent" },
      { bucket: "hour", from: now - 24 * HOUR, to: now, model: "" },
      // Aligned ranges as the dashboard asks for them, including reports after `now`.
      { bucket: "hour", from: hour - 23 * HOUR, to: hour + 2 * HOUR },
      { bucket: "hour", from: hour - 23 * HOUR, to: hour + HOUR, groupBy: "agent" },
      { bucket: "day", from: hour - (hour % 86_400_000) - 86_400_000, to: hour + HOUR },
      { bucket: "day", from: now - 29 * HOUR - 7 * MINUTE - 1_234, to: now + 90 * MINUTE, groupBy: "model" },
      // Minute buckets, and hour buckets over a range without one whole hour.
      { bucket: "minute", from: now - 95 * MINUTE - 30_000, to: now },
      { bucket: "minute", from: now - 95 * MINUTE - 30_000, to: now, groupBy: "agent" },
      { bucket: "hour", from: hour - 3 * HOUR + 5 * MINUTE, to: hour - 2 * HOUR + 20 * MINUTE + 1 },
      { bucket: "hour", from: hour - 3 * HOUR + 5 * MINUTE, to: hour - 2 * HOUR + 20 * MINUTE, agentId: second },
    ];
    for (const q of queries) {
      const actual = await key().metrics.aggregate({ projectId, ...q });
      const expected = fromReports(reports, agentIds, q);
      expect(expected.length, JSON.stringify(q)).toBeGreaterThan(0);
      expectSameBuckets(actual, expected);
    }
  });

  it("keeps answering from the hourly rollups after an agent is deleted", async () => {
    const { reports, agentIds } = await ingestSpread(400, 11);
    const owner = world.as({ sessionToken: world.users.owner.token });
    await owner.agent.delete({ projectId, id: agentIds.get("second")! });
    const kept = reports.filter((r) => r.agent !== "second");
    for (const q of [
      { bucket: "hour", from: now - 24 * HOUR, to: now },
      { bucket: "hour", from: now - 24 * HOUR, to: now, groupBy: "agent" },
    ] satisfies Query[]) {
      expectSameBuckets(await key().metrics.aggregate({ projectId, ...q }), fromReports(kept, agentIds, q));
    }
  });
});

describe("metrics.overview from rollups", () => {
  it("sums today from the hourly rollups exactly as the reports add up", async () => {
    const { reports } = await ingestSpread(800, 3);
    const midnight = now - (now % 86_400_000);
    const today = reports.filter((r) => r.kind === "metric" && r.at >= midnight);
    const successes = today.filter((r) => r.success === true).length;
    const runs = successes + today.filter((r) => r.success === false).length;
    const recent = reports.filter((r) => r.at - (r.at % MINUTE) >= now - (now % MINUTE) - 4 * MINUTE).length;
    const overview = await key().metrics.overview({ projectId });
    expect(overview.today.runs).toBe(runs);
    expect(overview.today.successRate).toBeCloseTo(successes / runs, 9);
    expect(overview.today.tokens).toBe(today.reduce((sum, r) => sum + r.tokensIn + r.tokensOut, 0));
    expect(overview.today.costUsd).toBeCloseTo(
      today.reduce((sum, r) => sum + r.costUsd, 0),
      9,
    );
    expect(overview.eventsPerMinute).toBeCloseTo(recent / 5, 9);
  });
});
