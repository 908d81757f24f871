import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditEvent } from "@tower/shared";
import type { SharedJson } from "../core/shared-json";
import { createWorld, reader, callerWithSignal, type World } from "../test-fixtures";

let world: World;
let projectId: string;
beforeEach(async () => {
  world = await createWorld();
  projectId = world.projectId;
});
afterEach(() => world.close());

const key = () => world.as({ apiKey: world.keys.manage.secret });
const t0 = Date.UTC(2026, 0, 1);
const metric = (i: number, at: number, extra: Record<string, unknown> = {}) => ({
  kind: "metric",
  id: `metric-${String(i).padStart(6, "0")}`,
  agent: "home-agent",
  type: "execution",
  at,
  executionMs: 100,
  success: true,
  tokensIn: 10,
  tokensOut: 5,
  costUsd: 0.01,
  model: "gpt-4o",
  ...extra,
});

describe("metrics.aggregate", () => {
  it("buckets counts, success rate, tokens, cost and latency percentiles from the rollups", async () => {
    // Hour 0: 10 runs of 100 ms, one failed; hour 1: 20 runs, 19 of 100 ms and one of 10 s.
    const items = [
      ...Array.from({ length: 10 }, (_, i) => metric(i, t0 + i * 60_000, { success: i !== 3 })),
      ...Array.from({ length: 20 }, (_, i) =>
        metric(100 + i, t0 + 3_600_000 + i * 1_000, { executionMs: i === 0 ? 10_000 : 100 }),
      ),
    ];
    await key().ingest.report({ projectId, items });
    const buckets = await key().metrics.aggregate({ projectId, bucket: "hour", from: t0, to: t0 + 2 * 3_600_000 });
    expect(buckets.map((b) => [b.start, b.count, b.successes, b.failures])).toEqual([
      [t0, 10, 9, 1],
      [t0 + 3_600_000, 20, 20, 0],
    ]);
    expect(buckets[0]!.successRate).toBeCloseTo(0.9);
    expect(buckets[0]!.tokensIn).toBe(100);
    expect(buckets[1]!.costUsd).toBeCloseTo(0.2);
    // Percentiles are histogram estimates, within about 10 %.
    expect(buckets[1]!.p50ExecutionMs).toBeGreaterThan(90);
    expect(buckets[1]!.p50ExecutionMs).toBeLessThan(110);
    expect(buckets[1]!.p95ExecutionMs).toBeLessThan(120);
    expect(buckets[1]!.avgExecutionMs).toBeCloseTo((19 * 100 + 10_000) / 20);
    const byModel = await key().metrics.aggregate({
      projectId,
      bucket: "day",
      from: t0,
      to: t0 + 86_400_000,
      groupBy: "model",
    });
    expect(byModel).toEqual([expect.objectContaining({ group: "gpt-4o", count: 30 })]);
  });

  it("refuses a range with too many buckets, naming the field", async () => {
    await expect(
      key().metrics.aggregate({ projectId, bucket: "minute", from: 0, to: 10 * 86_400_000 }),
    ).rejects.toThrow(/^bucket: /);
  });
});

describe("metrics.overview", () => {
  it("sums today's cost and tokens and counts active agents", async () => {
    const now = world.deps.clock.now();
    await key().session.start({ name: "home-agent" });
    await key().ingest.report({
      projectId,
      items: [metric(1, now), metric(2, now, { success: false }), metric(3, now - 86_400_000)],
    });
    const overview = await key().metrics.overview({ projectId });
    expect(overview.today).toEqual({ costUsd: 0.02, tokens: 30, runs: 2, successRate: 0.5 });
    expect(overview.activeAgents).toBe(1);
    expect(overview.eventsPerMinute).toBeCloseTo(2 / 5);
  });
});

describe("audit.onAppend", () => {
  it("tails new audit rows live, each once, including agents' reported events", async () => {
    const controller = new AbortController();
    const viewer = callerWithSignal(world.deps, { sessionToken: world.users.viewer.token }, controller.signal);
    const tail = reader<SharedJson<AuditEvent[]>>(await viewer.audit.onAppend({ projectId }));
    const first = tail.nextOrTimeout(50);
    expect(await first).toBe("timeout");
    await world.as({ sessionToken: world.users.owner.token }).agent.create({ projectId, name: "tailed", role: "r" });
    await key().ingest.report({
      projectId,
      items: [
        { kind: "event", id: "event-000001", agent: "home-agent", operation: "file_access", target: "/etc/hosts" },
      ],
    });
    const rows: AuditEvent[] = [];
    while (rows.length < 2) rows.push(...(await tail.next()).data.value);
    expect(rows.map((r) => r.operation)).toEqual(["agent.create", "file_access"]);
    expect(await tail.nextOrTimeout(50)).toBe("timeout");
    controller.abort();
  });
});
