import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyAudit } from "../audit/audit-service";
import { createWorld, type World } from "../test-fixtures";
import { callerFor } from "../testing";
import { createIngestThrottle } from "./ingest-throttle";
import { ACTIVITY_RESOLUTION_MS } from "./store-batch";

let world: World;
let projectId: string;
beforeEach(async () => {
  world = await createWorld();
  projectId = world.projectId;
});
afterEach(() => world.close());

const agentKey = () => world.as({ apiKey: world.keys.manage.secret });
const count = (table: string) =>
  (world.sqlite.prepare(`select count(*) n from ${table} where project_id = ?`).get(projectId) as { n: number }).n;

const event = (id: string, extra: Record<string, unknown> = {}) => ({
  kind: "event",
  id,
  agent: "home-agent",
  operation: "tool_use",
  target: "web.search",
  ...extra,
});
const metric = (id: string, extra: Record<string, unknown> = {}) => ({
  kind: "metric",
  id,
  agent: "home-agent",
  type: "task_completion",
  success: true,
  executionMs: 100,
  tokensIn: 1000,
  tokensOut: 500,
  model: "gpt-4o-mini",
  ...extra,
});

describe("ingest.report", () => {
  it("stores events in the hash-chained audit trail and metrics with computed cost", async () => {
    const result = await agentKey().ingest.report({ projectId, items: [event("evt-00001"), metric("met-00001")] });
    expect(result).toMatchObject({ stored: 2, duplicates: 0, rejected: 0 });
    const row = world.sqlite.prepare("select cost_usd, cost_source from metrics where client_id = 'met-00001'").get();
    // 1000 in × $0.15/M + 500 out × $0.60/M
    expect(row).toEqual({ cost_usd: 0.00045, cost_source: "price_table" });
    expect(verifyAudit(world.deps.db, projectId)).toMatchObject({ intact: true });
  });

  it("a reported cost wins over the price table", async () => {
    await agentKey().ingest.report({ projectId, items: [metric("met-cost01", { costUsd: 0.5 })] });
    const row = world.sqlite.prepare("select cost_usd, cost_source from metrics where client_id = 'met-cost01'").get();
    expect(row).toEqual({ cost_usd: 0.5, cost_source: "reported" });
  });

  it("a batch of 1,000 reports, the most one call may carry, is answered item by item and in order", async () => {
    const id = (i: number) => `big-${String(i).padStart(6, "0")}`;
    const items = Array.from({ length: 1_000 }, (_, i) =>
      i % 250 === 7 ? event(id(i), { operation: "Not Valid!" }) : i % 2 ? metric(id(i)) : event(id(i)),
    );
    const result = await agentKey().ingest.report({ projectId, items });
    expect(result).toMatchObject({ stored: 996, duplicates: 0, rejected: 4 });
    expect(result.results.map((r) => r.id)).toEqual(items.map((item) => item.id));
    expect(result.results.filter((r) => r.status === "rejected").map((r) => r.id)).toEqual([7, 257, 507, 757].map(id));
    expect(count("metrics")).toBe(496);
    expect(verifyAudit(world.deps.db, projectId)).toMatchObject({ intact: true });
  });

  it("re-ingesting the same batch stores nothing twice", async () => {
    const items = [event("evt-dup-1"), metric("met-dup-1"), metric("met-dup-2")];
    await agentKey().ingest.report({ projectId, items });
    const audits = count("audit_events");
    const second = await agentKey().ingest.report({ projectId, items });
    expect(second).toMatchObject({ stored: 0, duplicates: 3 });
    expect(second.results.map((r) => r.status)).toEqual(["duplicate", "duplicate", "duplicate"]);
    expect(count("audit_events")).toBe(audits);
    expect(count("metrics")).toBe(2);
  });

  it("stores exactly the valid items of a mixed batch and says why the others were refused", async () => {
    const result = await agentKey().ingest.report({
      projectId,
      items: [
        event("evt-good-1"),
        { kind: "event", id: "evt-bad-1", agent: "home-agent", operation: "Not Valid!" },
        metric("met-good-1"),
        metric("met-bad-1", { quality: 7 }),
        event("evt-nobody", { agent: "nobody" }),
        "not even an object",
      ],
    });
    expect(result.results.map((r) => r.status)).toEqual([
      "stored",
      "rejected",
      "stored",
      "rejected",
      "rejected",
      "rejected",
    ]);
    expect(result.results[1]?.reason).toMatch(/^operation: /);
    expect(result.results[3]?.reason).toMatch(/^quality: /);
    expect(result.results[4]?.reason).toMatch(/Unknown agent "nobody"/);
    expect(count("metrics")).toBe(1);
  });

  it("a poison report (detail nested thousands of levels deep) is refused alone; the rest of its batch is stored", async () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 5_000; i++) deep = { next: deep };
    const atLimit = (levels: number) => {
      let value: Record<string, unknown> = {};
      for (let i = 1; i < levels; i++) value = { n: value };
      return value;
    };
    const items = [
      event("poison-ok-1"),
      event("poison-deep", { detail: deep }),
      metric("poison-ok-2"),
      // An item counts from its own root: the item is level 1, its detail 2, so 31 more fit.
      event("poison-limit", { detail: atLimit(31) }),
      event("poison-over", { detail: atLimit(32) }),
      event("poison-ok-3"),
    ];
    const result = await agentKey().ingest.report({ projectId, items });
    expect(result.results.map((r) => [r.id, r.status])).toEqual([
      ["poison-ok-1", "stored"],
      ["poison-deep", "rejected"],
      ["poison-ok-2", "stored"],
      ["poison-limit", "stored"],
      ["poison-over", "rejected"],
      ["poison-ok-3", "stored"],
    ]);
    expect(result.results[1]!.reason).toBe("detail.next.next.next.….next: is nested more than 32 levels deep");
    expect(verifyAudit(world.deps.db, projectId)).toMatchObject({ intact: true });
  });

  it("updates the agent's performance and the session's totals", async () => {
    const caller = agentKey();
    const { session } = await caller.session.start({ name: "home-agent" });
    await caller.ingest.report({
      projectId,
      items: [
        metric("met-perf-1", { sessionId: session.id, success: true, executionMs: 100 }),
        metric("met-perf-2", { sessionId: session.id, success: false, executionMs: 300 }),
      ],
    });
    const agent = await caller.agent.byName({ projectId, name: "home-agent" });
    expect(agent).toMatchObject({ runsCount: 2, successCount: 1, totalExecutionMs: 400 });
    const sessions = await caller.session.list({ projectId, agentId: agent.id });
    expect(sessions.items[0]).toMatchObject({ tokens: 3000 });
  });

  it("moves the agent's last activity for events at most once a second, each move published once", async () => {
    const caller = agentKey();
    const agentUpdates: number[] = [];
    const stop = world.deps.bus.subscribe(projectId, (change) => {
      if (change.entity === "agent" && change.op === "updated") agentUpdates.push(world.clock.now());
    });
    const start = world.clock.now();
    const lastActive = async () => (await caller.agent.byName({ projectId, name: "home-agent" })).lastActiveAt;
    for (let i = 0; i < 5; i++) {
      await caller.ingest.report({ projectId, items: [event(`evt-act-${i}`)] });
      world.clock.advance(ACTIVITY_RESOLUTION_MS / 5);
    }
    // Five batches within one second: the first moved it; the others were too close to rewrite the agent.
    expect(await lastActive()).toBe(start);
    await caller.ingest.report({ projectId, items: [event("evt-act-5")] });
    expect(await lastActive()).toBe(start + ACTIVITY_RESOLUTION_MS);
    expect(agentUpdates).toEqual([start, start + ACTIVITY_RESOLUTION_MS]);
    // Metrics change the agent's counters, so each batch of them is written whatever the time.
    await caller.ingest.report({ projectId, items: [metric("met-act-1")] });
    expect(agentUpdates).toHaveLength(3);
    stop();
  });

  it("refuses a batch over the item limit as a whole", async () => {
    const items = Array.from({ length: 1001 }, (_, i) => event(`evt-${String(i).padStart(6, "0")}`));
    await expect(agentKey().ingest.report({ projectId, items })).rejects.toThrow(/items/);
    expect(count("audit_events")).toBeGreaterThan(0); // only the fixture's own dashboard rows
    expect(
      (world.sqlite.prepare("select count(*) n from audit_events where client_id is not null").get() as { n: number })
        .n,
    ).toBe(0);
  });

  it("commits concurrent batches together and answers each one", async () => {
    const caller = agentKey();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, b) =>
        caller.ingest.report({ projectId, items: Array.from({ length: 10 }, (_, i) => metric(`met-c-${b}-${i}`)) }),
      ),
    );
    expect(results.every((r) => r.stored === 10)).toBe(true);
    expect(count("metrics")).toBe(200);
  });
});

describe("budgets", () => {
  it("raises 80, 90 and 100 % alerts once each, keeps storing, and says the agent is over", async () => {
    const admin = world.as({ sessionToken: world.users.owner.token });
    const agent = await admin.agent.byName({ projectId, name: "home-agent" });
    await admin.agent.update({ projectId, id: agent.id, patch: { budgetCostUsdPerDay: 1 } });
    const caller = agentKey();
    const spend = (id: string, costUsd: number) =>
      caller.ingest.report({ projectId, items: [metric(id, { costUsd })] });

    expect((await spend("met-budget-1", 0.5)).overBudget).toEqual([]);
    expect((await spend("met-budget-2", 0.35)).overBudget).toEqual([]); // 85 %: the 80 % alert
    expect((await spend("met-budget-3", 0.1)).overBudget).toEqual([]); // 95 %: the 90 % alert
    const over = await spend("met-budget-4", 0.2); // 115 %
    expect(over).toMatchObject({ stored: 1, overBudget: ["home-agent"] });
    expect((await spend("met-budget-5", 0.1)).overBudget).toEqual(["home-agent"]);
    const alerts = world.sqlite
      .prepare("select threshold, budget from budget_alerts where agent_id = ? order by threshold")
      .all(agent.id);
    expect(alerts).toEqual([
      { threshold: 80, budget: "cost_per_day" },
      { threshold: 90, budget: "cost_per_day" },
      { threshold: 100, budget: "cost_per_day" },
    ]);

    // The next UTC day starts a new period.
    world.clock.advance(86_400_000);
    expect((await spend("met-budget-6", 0.1)).overBudget).toEqual([]);
  });

  it("tracks tokens per session against the session budget", async () => {
    const admin = world.as({ sessionToken: world.users.owner.token });
    const agent = await admin.agent.byName({ projectId, name: "home-agent" });
    await admin.agent.update({ projectId, id: agent.id, patch: { budgetTokensPerSession: 2000 } });
    const caller = agentKey();
    const { session } = await caller.session.start({ name: "home-agent" });
    const first = await caller.ingest.report({ projectId, items: [metric("met-tokens-1", { sessionId: session.id })] });
    expect(first.overBudget).toEqual([]); // 1,500 of 2,000 tokens: 75 %
    const second = await caller.ingest.report({
      projectId,
      items: [metric("met-tokens-2", { sessionId: session.id })],
    });
    expect(second.overBudget).toEqual(["home-agent"]); // 3,000 of 2,000
    const alerts = world.sqlite
      .prepare("select threshold, period from budget_alerts where budget = 'tokens_per_session'")
      .all();
    expect(alerts).toEqual([80, 90, 100].map((threshold) => ({ threshold, period: session.id })));
    // A new session starts from zero.
    const { session: next } = await caller.session.start({ name: "home-agent" });
    const fresh = await caller.ingest.report({ projectId, items: [metric("met-tokens-3", { sessionId: next.id })] });
    expect(fresh.overBudget).toEqual([]);
  });
});

describe("the price table", () => {
  it("a project's own price replaces the default for its later reports, and can be reset", async () => {
    const admin = world.as({ sessionToken: world.users.owner.token });
    const rows = await admin.metrics.setPrice({ projectId, model: "gpt-4o-mini", inputPerMTok: 1, outputPerMTok: 2 });
    expect(rows.find((row) => row.model === "gpt-4o-mini")).toMatchObject({ source: "project", inputPerMTok: 1 });
    await agentKey().ingest.report({ projectId, items: [metric("met-price-1")] });
    const priced = world.sqlite.prepare("select cost_usd from metrics where client_id = 'met-price-1'").get();
    expect(priced).toEqual({ cost_usd: (1000 * 1 + 500 * 2) / 1e6 });
    await expect(
      agentKey().metrics.setPrice({ projectId, model: "x", inputPerMTok: 1, outputPerMTok: 1 }),
    ).rejects.toThrow(/admin/);
    const reset = await admin.metrics.resetPrice({ projectId, model: "gpt-4o-mini" });
    expect(reset.find((row) => row.model === "gpt-4o-mini")).toMatchObject({ source: "default", inputPerMTok: 0.15 });
    await expect(admin.metrics.resetPrice({ projectId, model: "gpt-4o-mini" })).rejects.toThrow(/^model: /);
  });

  it("a model with no price is stored as unpriced, with zero cost", async () => {
    await agentKey().ingest.report({ projectId, items: [metric("met-unknown", { model: "home-grown-llm" })] });
    const row = world.sqlite.prepare("select cost_usd, cost_source from metrics where client_id = 'met-unknown'").get();
    expect(row).toEqual({ cost_usd: 0, cost_source: "unpriced" });
  });
});

describe("session.report", () => {
  it("goes through ingest: counted once per id, and towards the session's token budget", async () => {
    const admin = world.as({ sessionToken: world.users.owner.token });
    const agent = await admin.agent.byName({ projectId, name: "home-agent" });
    await admin.agent.update({ projectId, id: agent.id, patch: { budgetTokensPerSession: 1_000 } });
    const caller = agentKey();
    const { session } = await caller.session.start({ name: "home-agent" });
    const report = {
      projectId,
      sessionId: session.id,
      id: "outcome-0001",
      success: true,
      executionMs: 50,
      tokens: 1_200,
    };
    expect(await caller.session.report(report)).toEqual({ ok: true, duplicate: false, overBudget: true });
    expect(await caller.session.report(report)).toEqual({ ok: true, duplicate: true, overBudget: true });
    const sessions = await caller.session.list({ projectId, agentId: agent.id });
    expect(sessions.items[0]).toMatchObject({ runs: 1, successes: 1, tokens: 1_200 });
    expect((await caller.agent.byId({ projectId, id: agent.id })).runsCount).toBe(1);
    const alerts = world.sqlite
      .prepare("select threshold from budget_alerts where budget = 'tokens_per_session'")
      .pluck()
      .all();
    expect(alerts).toEqual([80, 90, 100]);
  });
});

describe("ingest rate limit", () => {
  it("answers TOO_MANY_REQUESTS with the time to wait once a key sends more than its limit", async () => {
    const limited = { ...world.deps, ingestThrottle: createIngestThrottle({ itemsPerSecond: 10 }) };
    const caller = callerFor(limited, { apiKey: world.keys.manage.secret });
    const batch = (n: number) => Array.from({ length: 10 }, (_, i) => event(`limited-${n}-${i}`));
    expect(await caller.ingest.report({ projectId, items: batch(1) })).toMatchObject({ stored: 10 });
    await expect(caller.ingest.report({ projectId, items: batch(2) })).rejects.toThrow(/retry in \d+ ms/);
    expect(
      (
        world.sqlite.prepare("select count(*) n from audit_events where client_id like 'limited-2-%'").get() as {
          n: number;
        }
      ).n,
    ).toBe(0);
  });
});

describe("the agent's order beside the order of commit", () => {
  /** Reports of one session, numbered as the SDK numbers them, each with the agent's own time. */
  async function sessionReports() {
    const caller = agentKey();
    const { session } = await caller.session.start({ name: "home-agent" });
    const at = 1_790_000_000_000;
    const s = { sessionId: session.id };
    const first = [
      event("ord-evt-1", { ...s, seq: 1, at, target: "one" }),
      metric("ord-met-2", { ...s, seq: 2, at: at + 1 }),
    ];
    // Same millisecond by the agent's clock: its sequence number keeps them apart.
    const second = [
      event("ord-evt-3", { ...s, seq: 3, at: at + 2, target: "three" }),
      metric("ord-met-4", { ...s, seq: 4, at: at + 2 }),
      event("ord-evt-5", { ...s, seq: 5, at: at + 2, target: "five" }),
    ];
    // The second batch commits first (two batches in flight), then the first; then the first again
    // (its answer was lost): stored once, with the number it had.
    expect(await caller.ingest.report({ projectId, items: second })).toMatchObject({ stored: 3 });
    expect(await caller.ingest.report({ projectId, items: first })).toMatchObject({ stored: 2 });
    expect(await caller.ingest.report({ projectId, items: first })).toMatchObject({ stored: 0, duplicates: 2 });
    return { caller, session };
  }

  it("stores each report's sequence number and the agent's time; the trail stays in commit order", async () => {
    const { session } = await sessionReports();
    const events = world.sqlite
      .prepare("select client_id, seq, reported_at from audit_events where session_id = ? order by id")
      .all(session.id);
    expect(events).toEqual([
      { client_id: "ord-evt-3", seq: 3, reported_at: 1_790_000_000_002 },
      { client_id: "ord-evt-5", seq: 5, reported_at: 1_790_000_000_002 },
      { client_id: "ord-evt-1", seq: 1, reported_at: 1_790_000_000_000 },
    ]);
    const metrics = world.sqlite
      .prepare("select client_id, seq, at from metrics where session_id = ? order by id")
      .all(session.id);
    expect(metrics).toEqual([
      { client_id: "ord-met-4", seq: 4, at: 1_790_000_000_002 },
      { client_id: "ord-met-2", seq: 2, at: 1_790_000_000_001 },
    ]);
    expect(verifyAudit(world.deps.db, projectId)).toMatchObject({ intact: true });
  });

  it("lists a session's events in the agent's order, newest first, page by page", async () => {
    const { caller, session } = await sessionReports();
    const list = (input: { order?: "commit" | "agent"; limit?: number; cursor?: number | null }) =>
      caller.audit.list({ projectId, sessionId: session.id, ...input });
    const seqs = (page: { items: { seq: number | null }[] }) => page.items.map((item) => item.seq);
    expect(seqs(await list({}))).toEqual([1, 5, 3]);
    const byAgent = await list({ order: "agent" });
    expect(seqs(byAgent)).toEqual([5, 3, 1]);
    expect(byAgent.items[0]).toMatchObject({ target: "five", reportedAt: 1_790_000_000_002, seq: 5 });
    const pages: (number | null)[][] = [];
    let cursor: number | null = null;
    do {
      const page = await list({ order: "agent", limit: 1, cursor });
      pages.push(seqs(page));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(pages).toEqual([[5], [3], [1]]);
    // The other sessions' rows stay out; asking for the agent's order needs a session.
    await expect(caller.audit.list({ projectId, order: "agent" })).rejects.toThrow(/sessionId/);
  });

  it("lists a session's metrics in the agent's order too", async () => {
    const { caller, session } = await sessionReports();
    const list = (input: { order?: "commit" | "agent"; limit?: number; cursor?: number | null }) =>
      caller.metrics.list({ projectId, sessionId: session.id, ...input });
    expect((await list({})).items.map((item) => item.seq)).toEqual([2, 4]);
    expect((await list({ order: "agent" })).items.map((item) => item.seq)).toEqual([4, 2]);
    const first = await list({ order: "agent", limit: 1 });
    const second = await list({ order: "agent", limit: 1, cursor: first.nextCursor });
    expect([first.items[0]?.seq, second.items[0]?.seq, second.nextCursor]).toEqual([4, 2, null]);
  });

  it("refuses a report with a sequence number that is not a positive integer, alone", async () => {
    const result = await agentKey().ingest.report({
      projectId,
      items: [
        event("seq-bad-01", { seq: 0 }),
        event("seq-bad-02", { seq: 2.5 }),
        event("seq-bad-03", { seq: 2 ** 53 }),
        event("seq-good-1", { seq: 7 }),
      ],
    });
    expect(result.results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected", "stored"]);
    expect(result.results[0]!.reason).toMatch(/^seq: /);
  });
});
