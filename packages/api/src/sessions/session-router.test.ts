import { agentSessions } from "@tower/db";
import { agentPerformance } from "@tower/shared";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentRow, countAgents, createWorld, expectTRPCError, type TestCaller, type World } from "../test-fixtures";
import { DEFAULT_HEARTBEAT, expireStaleSessions } from "./session-service";

let world: World;
let owner: TestCaller;
let sdk: TestCaller;
let projectId: string;

beforeEach(async () => {
  world = await createWorld();
  owner = world.users.owner.caller;
  // Agents talk to Tower through the SDK with a write key.
  sdk = world.as({ apiKey: world.keys.manage.secret });
  projectId = world.projectId;
});
afterEach(() => world.close());

const sessionRow = (id: string) => world.deps.db.select().from(agentSessions).where(eq(agentSessions.id, id)).get();
const latest = async () => Number((await owner.agent.list({ projectId, limit: 1 })).lastEventId);
/** The project's agent change events after `lastEventId` (ids are global, so they may skip). */
const eventsSince = (lastEventId: number) =>
  world.sqlite
    .prepare("select op, entity_id as entityId from changes where project_id = ? and entity = 'agent' and id > ?")
    .all(projectId, lastEventId) as { op: string; entityId: string }[];
const TIMEOUT = DEFAULT_HEARTBEAT.timeoutMs;

describe("session.start", () => {
  it("a fleet starting at once shares commits: one flush of the disk, not one per agent", async () => {
    let commits = 0;
    world.close();
    world = await createWorld({ trace: (sql) => void (sql === "COMMIT" && commits++) });
    sdk = world.as({ apiKey: world.keys.manage.secret });
    projectId = world.projectId;
    const names = Array.from({ length: 5 }, (_, i) => `fleet-${i}`);
    commits = 0;
    const started = await Promise.all(names.map((name) => sdk.session.start({ name, profile: { role: "worker" } })));
    // One, unless this machine stalls the loop past a commit's budget (group-commit.ts) mid-burst.
    expect(commits).toBeLessThan(names.length);
    expect(started.map((s) => s.agent.name)).toEqual(names);
    expect(started.every((s) => sessionRow(s.session.id)?.endedAt === null)).toBe(true);
  });

  it("an unknown agent without a profile is NOT_FOUND naming it, and nothing is written", async () => {
    const before = await latest();
    const agents = countAgents(world.deps, projectId);
    await expectTRPCError(sdk.session.start({ name: "ghost" }), "NOT_FOUND", /"ghost"/);
    expect(countAgents(world.deps, projectId)).toBe(agents);
    expect(await latest()).toBe(before);
  });

  it("with a profile registers the agent, then starts it: idle, active now, one session", async () => {
    world.clock.advance(1_000);
    const started = await sdk.session.start({
      name: "scout",
      profile: { role: "researcher", description: "reads", tags: ["sdk"] },
    });
    expect(started).toMatchObject({
      heartbeatIntervalMs: DEFAULT_HEARTBEAT.intervalMs,
      heartbeatTimeoutMs: DEFAULT_HEARTBEAT.timeoutMs,
      session: {
        projectId,
        startedAt: world.clock.now(),
        lastHeartbeatAt: world.clock.now(),
        endedAt: null,
        endReason: null,
        tokens: 0,
        costUsd: 0,
        runs: 0,
        successes: 0,
      },
    });
    const agent = await owner.agent.byName({ projectId, name: "scout" });
    expect(agent).toMatchObject({
      id: started.session.agentId,
      role: "researcher",
      description: "reads",
      tags: ["sdk"],
      status: "idle",
      lastActiveAt: world.clock.now(),
      sessionsCount: 1,
    });
    expect(sessionRow(started.session.id)).toEqual(started.session);
  });

  it("an existing agent starts by name; its profile is updated when given", async () => {
    const created = await owner.agent.create({ projectId, name: "worker", role: "coder", description: "old" });
    expect(created.status).toBe("offline");
    world.clock.advance(500);
    await sdk.session.start({ name: "worker" });
    expect(await owner.agent.byId({ projectId, id: created.id })).toMatchObject({
      status: "idle",
      description: "old",
      lastActiveAt: world.clock.now(),
      sessionsCount: 1,
    });
    world.clock.advance(500);
    await sdk.session.start({ name: "worker", profile: { role: "coder", description: "new", version: "2.0" } });
    expect(await owner.agent.byId({ projectId, id: created.id })).toMatchObject({
      description: "new",
      version: "2.0",
      lastActiveAt: world.clock.now(),
      sessionsCount: 2,
    });
    expect(countAgents(world.deps, projectId)).toBe(2); // home-agent and worker
  });

  it("starting again ends the previous session as replaced; the old session is refused with that reason", async () => {
    const first = await sdk.session.start({ name: "home-agent" });
    world.clock.advance(100);
    const second = await sdk.session.start({ name: "home-agent" });
    expect(second.session.id).not.toBe(first.session.id);
    expect(sessionRow(first.session.id)).toMatchObject({ endedAt: world.clock.now(), endReason: "replaced" });
    expect(sessionRow(second.session.id)).toMatchObject({ endedAt: null });
    expect(agentRow(world.deps, world.homeAgent.id)).toMatchObject({ status: "idle", sessionsCount: 2 });

    await expectTRPCError(sdk.session.heartbeat({ sessionId: first.session.id }), "CONFLICT", /replaced/);
    await expectTRPCError(
      sdk.session.report({ sessionId: first.session.id, success: true, executionMs: 1 }),
      "CONFLICT",
      /replaced/,
    );
    // The replacement is unaffected.
    await sdk.session.heartbeat({ sessionId: second.session.id, status: "busy" });
    expect(agentRow(world.deps, world.homeAgent.id)?.status).toBe("busy");
  });

  it("a session of another project is NOT_FOUND", async () => {
    const foreign = await world.users.foreignOwner.caller.session.start({
      projectId: world.foreignProjectId,
      name: "foreign-agent",
    });
    await expectTRPCError(sdk.session.heartbeat({ sessionId: foreign.session.id }), "NOT_FOUND");
    await expectTRPCError(sdk.session.end({ sessionId: foreign.session.id }), "NOT_FOUND");
    await expectTRPCError(
      sdk.session.report({ sessionId: foreign.session.id, success: true, executionMs: 1 }),
      "NOT_FOUND",
    );
    expect(sessionRow(foreign.session.id)).toMatchObject({ endedAt: null, runs: 0 });
    expect(agentRow(world.deps, world.foreignAgent.id)?.status).toBe("idle");
  });
});

describe("session.heartbeat", () => {
  it("a status change is one agent change event; a plain or same-status heartbeat is none", async () => {
    const { session } = await sdk.session.start({ name: "home-agent" });
    const id = world.homeAgent.id;

    let before = await latest();
    world.clock.advance(1_000);
    expect(await sdk.session.heartbeat({ sessionId: session.id })).toEqual({ ok: true, status: "unchanged" });
    expect(await latest()).toBe(before);
    expect(agentRow(world.deps, id)).toMatchObject({ status: "idle", lastActiveAt: world.clock.now() });
    expect(sessionRow(session.id)?.lastHeartbeatAt).toBe(world.clock.now());

    world.clock.advance(1_000);
    await sdk.session.heartbeat({ sessionId: session.id, status: "idle" });
    expect(await latest()).toBe(before);

    await sdk.session.heartbeat({ sessionId: session.id, status: "busy" });
    expect(eventsSince(before)).toEqual([{ op: "updated", entityId: id }]);
    expect(agentRow(world.deps, id)?.status).toBe("busy");

    before = await latest();
    await sdk.session.heartbeat({ sessionId: session.id, status: "busy" });
    expect(await latest()).toBe(before);

    await sdk.session.heartbeat({ sessionId: session.id, status: "idle" });
    expect(eventsSince(before)).toHaveLength(1);
    expect(agentRow(world.deps, id)?.status).toBe("idle");
  });

  it("the status change reaches agent.onChange subscribers", async () => {
    const { session } = await sdk.session.start({ name: "home-agent" });
    const before = String(await latest());
    await sdk.session.heartbeat({ sessionId: session.id, status: "busy" });
    const iterable = await owner.agent.onChange({ projectId, lastEventId: before, agentId: world.homeAgent.id });
    const iterator = iterable[Symbol.asyncIterator]();
    const first = await iterator.next();
    await iterator.return?.();
    expect(JSON.stringify(first.value)).toContain('"status":"busy"');
  });

  it("an unknown session is NOT_FOUND", async () => {
    await expectTRPCError(sdk.session.heartbeat({ sessionId: "no-such-session" }), "NOT_FOUND");
  });

  it("a plain heartbeat stored late by the writer never revives an ended session nor moves time back", async () => {
    const { session } = await sdk.session.start({ name: "home-agent" });
    const heartbeatOf = (at: number) =>
      world.deps.ingestWriter.submit({
        projectId,
        items: [],
        heartbeats: [{ sessionId: session.id, agentId: world.homeAgent.id }],
        now: at,
      });
    world.clock.advance(5_000);
    await sdk.session.heartbeat({ sessionId: session.id });
    const latestBeat = world.clock.now();
    // A heartbeat read earlier and committed after the newer one.
    await heartbeatOf(latestBeat - 3_000);
    expect(sessionRow(session.id)?.lastHeartbeatAt).toBe(latestBeat);
    expect(agentRow(world.deps, world.homeAgent.id)?.lastActiveAt).toBe(latestBeat);

    // One read before the session ended and committed after it.
    await sdk.session.end({ sessionId: session.id });
    await heartbeatOf(latestBeat + 1_000);
    expect(sessionRow(session.id)).toMatchObject({ endedAt: latestBeat, lastHeartbeatAt: latestBeat });
  });
});

describe("session.report", () => {
  it("adds to the session totals and the agent's performance", async () => {
    const { session } = await sdk.session.start({ name: "home-agent" });
    expect(agentPerformance(agentRow(world.deps, world.homeAgent.id)!)).toEqual({
      successRate: null,
      avgExecutionMs: null,
    });
    world.clock.advance(10);
    await sdk.session.report({ sessionId: session.id, success: true, executionMs: 1_000, tokens: 100, costUsd: 0.5 });
    world.clock.advance(10);
    await sdk.session.report({ sessionId: session.id, success: false, executionMs: 3_000, tokens: 50, costUsd: 0.25 });
    world.clock.advance(10);
    await sdk.session.report({ sessionId: session.id, success: true, executionMs: 2_000 });

    expect(sessionRow(session.id)).toMatchObject({
      tokens: 150,
      costUsd: 0.75,
      runs: 3,
      successes: 2,
      lastHeartbeatAt: world.clock.now(),
    });
    const agent = await owner.agent.byId({ projectId, id: world.homeAgent.id });
    expect(agent).toMatchObject({
      runsCount: 3,
      successCount: 2,
      totalExecutionMs: 6_000,
      lastActiveAt: world.clock.now(),
    });
    expect(agentPerformance(agent)).toEqual({ successRate: 2 / 3, avgExecutionMs: 2_000 });

    // The agent's totals span sessions; a new session starts from zero.
    const next = await sdk.session.start({ name: "home-agent" });
    await sdk.session.report({ sessionId: next.session.id, success: true, executionMs: 4_000, tokens: 7 });
    expect(sessionRow(next.session.id)).toMatchObject({ tokens: 7, runs: 1, successes: 1 });
    expect(agentPerformance((await owner.agent.byId({ projectId, id: world.homeAgent.id }))!)).toEqual({
      successRate: 3 / 4,
      avgExecutionMs: 2_500,
    });
  });

  it("rejects a negative execution time and writes nothing", async () => {
    const { session } = await sdk.session.start({ name: "home-agent" });
    await expectTRPCError(sdk.session.report({ sessionId: session.id, success: true, executionMs: -1 }), "BAD_REQUEST");
    expect(sessionRow(session.id)?.runs).toBe(0);
    expect(agentRow(world.deps, world.homeAgent.id)?.runsCount).toBe(0);
  });
});

describe("session.end", () => {
  it("turns the agent offline; ending twice is harmless; later calls are CONFLICT naming the reason", async () => {
    const { session } = await sdk.session.start({ name: "home-agent" });
    world.clock.advance(1_000);
    expect(await sdk.session.end({ sessionId: session.id, reason: "process_exit" })).toEqual({ ok: true });
    expect(sessionRow(session.id)).toMatchObject({ endedAt: world.clock.now(), endReason: "process_exit" });
    expect(agentRow(world.deps, world.homeAgent.id)).toMatchObject({
      status: "offline",
      lastActiveAt: world.clock.now(),
    });

    const before = await latest();
    world.clock.advance(1_000);
    expect(await sdk.session.end({ sessionId: session.id })).toEqual({ ok: true });
    expect(sessionRow(session.id)).toMatchObject({ endedAt: world.clock.now() - 1_000, endReason: "process_exit" });
    expect(await latest()).toBe(before);

    await expectTRPCError(sdk.session.heartbeat({ sessionId: session.id }), "CONFLICT", /process_exit/);
    await expectTRPCError(
      sdk.session.report({ sessionId: session.id, success: true, executionMs: 5 }),
      "CONFLICT",
      /process_exit/,
    );
    expect(agentRow(world.deps, world.homeAgent.id)?.status).toBe("offline");
  });

  it("defaults the reason to stopped", async () => {
    const { session } = await sdk.session.start({ name: "home-agent" });
    await sdk.session.end({ sessionId: session.id });
    expect(sessionRow(session.id)?.endReason).toBe("stopped");
    await expectTRPCError(sdk.session.heartbeat({ sessionId: session.id }), "CONFLICT", /stopped/);
  });

  it("an unknown session is NOT_FOUND", async () => {
    await expectTRPCError(sdk.session.end({ sessionId: "no-such-session" }), "NOT_FOUND");
  });
});

describe("heartbeat expiry (manual clock)", () => {
  it("a silent session expires after the timeout and its agent turns offline; a fresh one is untouched", async () => {
    const silent = await sdk.session.start({ name: "home-agent" });
    const lively = await sdk.session.start({ name: "lively", profile: { role: "coder" } });
    const livelyId = lively.session.agentId;

    world.clock.advance(TIMEOUT);
    await sdk.session.heartbeat({ sessionId: lively.session.id, status: "busy" });
    // Exactly at the timeout nothing has expired yet.
    expect(expireStaleSessions(world.deps, TIMEOUT)).toEqual({ expired: 0 });
    expect(sessionRow(silent.session.id)?.endedAt).toBeNull();

    world.clock.advance(1);
    const before = await latest();
    expect(expireStaleSessions(world.deps, TIMEOUT)).toEqual({ expired: 1 });
    expect(sessionRow(silent.session.id)).toMatchObject({ endedAt: world.clock.now(), endReason: "expired" });
    expect(agentRow(world.deps, world.homeAgent.id)?.status).toBe("offline");
    expect(eventsSince(before)).toHaveLength(1);

    expect(sessionRow(lively.session.id)).toMatchObject({ endedAt: null, endReason: null });
    expect(agentRow(world.deps, livelyId)?.status).toBe("busy");

    await expectTRPCError(sdk.session.heartbeat({ sessionId: silent.session.id }), "CONFLICT", /expired/);
    // Sweeping again changes nothing.
    expect(expireStaleSessions(world.deps, TIMEOUT)).toEqual({ expired: 0 });
    expect(eventsSince(before)).toHaveLength(1);

    // The lively one expires too once it falls silent.
    world.clock.advance(TIMEOUT + 1);
    expect(expireStaleSessions(world.deps, TIMEOUT)).toEqual({ expired: 1 });
    expect(agentRow(world.deps, livelyId)?.status).toBe("offline");
  });

  it("a report counts as a sign of life", async () => {
    const { session } = await sdk.session.start({ name: "home-agent" });
    world.clock.advance(TIMEOUT);
    await sdk.session.report({ sessionId: session.id, success: true, executionMs: 1 });
    world.clock.advance(TIMEOUT);
    expect(expireStaleSessions(world.deps, TIMEOUT)).toEqual({ expired: 0 });
    expect(agentRow(world.deps, world.homeAgent.id)?.status).toBe("idle");
  });

  it("a disabled agent stays disabled and its session keeps the reason disabled", async () => {
    const { session } = await sdk.session.start({ name: "home-agent" });
    await owner.agent.setEnabled({ projectId, id: world.homeAgent.id, enabled: false });
    world.clock.advance(TIMEOUT + 1);
    expireStaleSessions(world.deps, TIMEOUT);
    expect(agentRow(world.deps, world.homeAgent.id)?.status).toBe("disabled");
    expect(sessionRow(session.id)?.endReason).toBe("disabled");
  });

  it("a disabled agent whose session was left open still stays disabled when it expires", async () => {
    const { session } = await sdk.session.start({ name: "home-agent" });
    // An agent disabled by a path that forgot its session (e.g. an older server) must not come back.
    world.sqlite.prepare("update agents set status = 'disabled' where id = ?").run(world.homeAgent.id);
    world.clock.advance(TIMEOUT + 1);
    expireStaleSessions(world.deps, TIMEOUT);
    expect(sessionRow(session.id)?.endReason).toBe("expired");
    expect(agentRow(world.deps, world.homeAgent.id)?.status).toBe("disabled");
  });
});

describe("session.list", () => {
  it("pages an agent's sessions newest first with a cursor", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      // Two sessions share each millisecond, so ties on startedAt are exercised.
      if (i % 2 === 0) world.clock.advance(1_000);
      ids.push((await sdk.session.start({ name: "home-agent" })).session.id);
    }
    await world.users.foreignOwner.caller.session.start({ projectId: world.foreignProjectId, name: "foreign-agent" });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<TestCaller["session"]["list"]>> = await world.users.viewer.caller.session.list({
        projectId,
        agentId: world.homeAgent.id,
        limit: 3,
        cursor,
      });
      expect(page.items.length).toBeLessThanOrEqual(3);
      expect(page.items.every((s) => s.agentId === world.homeAgent.id)).toBe(true);
      seen.push(...page.items.map((s) => s.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    const rows = seen.map((id) => sessionRow(id)!);
    for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.startedAt).toBeGreaterThanOrEqual(rows[i]!.startedAt);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen).toHaveLength(7);
    // The newest (still open) session comes first.
    expect(seen[0]).toBe(ids.at(-1));
    expect(sessionRow(seen[0]!)?.endedAt).toBeNull();
    expect(rows.slice(1).every((s) => s.endReason === "replaced")).toBe(true);
  });

  it("an agent with no sessions lists none; another project's agent is NOT_FOUND", async () => {
    expect(await owner.session.list({ projectId, agentId: world.homeAgent.id })).toEqual({
      items: [],
      nextCursor: null,
    });
    await expectTRPCError(owner.session.list({ projectId, agentId: world.foreignAgent.id }), "NOT_FOUND");
  });
});

describe("agent.setEnabled", () => {
  it("disabling ends the open session as disabled and refuses the SDK until enabled", async () => {
    const { session } = await sdk.session.start({ name: "home-agent" });
    const id = world.homeAgent.id;
    world.clock.advance(1_000);
    const disabled = await world.users.operator.caller.agent.setEnabled({ projectId, id, enabled: false });
    expect(disabled.status).toBe("disabled");
    expect(agentRow(world.deps, id)?.status).toBe("disabled");
    expect(sessionRow(session.id)).toMatchObject({ endedAt: world.clock.now(), endReason: "disabled" });

    const before = await latest();
    await expectTRPCError(sdk.session.heartbeat({ sessionId: session.id }), "FORBIDDEN", /is disabled/);
    await expectTRPCError(
      sdk.session.report({ sessionId: session.id, success: true, executionMs: 1 }),
      "FORBIDDEN",
      /is disabled/,
    );
    await expectTRPCError(sdk.session.start({ name: "home-agent" }), "FORBIDDEN", /is disabled/);
    await expectTRPCError(
      sdk.session.start({ name: "home-agent", profile: { role: "coder", description: "sneaky" } }),
      "FORBIDDEN",
      /is disabled/,
    );
    // Refusals write nothing: not the profile, not a session, not an event.
    expect(agentRow(world.deps, id)).toMatchObject({ status: "disabled", description: "at home", sessionsCount: 1 });
    expect((await owner.session.list({ projectId, agentId: id })).items).toHaveLength(1);
    expect(await latest()).toBe(before);

    const enabled = await owner.agent.setEnabled({ projectId, id, enabled: true });
    expect(enabled.status).toBe("offline");
    const again = await sdk.session.start({ name: "home-agent" });
    expect(again.session.endedAt).toBeNull();
    expect(agentRow(world.deps, id)?.status).toBe("idle");
  });

  it("setting the current state again is a no-op with no change event", async () => {
    const id = world.homeAgent.id;
    let before = await latest();
    world.clock.advance(1_000);
    const same = await owner.agent.setEnabled({ projectId, id, enabled: true });
    expect(same).toEqual(world.homeAgent);
    expect(await latest()).toBe(before);

    await owner.agent.setEnabled({ projectId, id, enabled: false });
    expect(eventsSince(before)).toHaveLength(1);
    before = await latest();
    const row = agentRow(world.deps, id);
    world.clock.advance(1_000);
    await owner.agent.setEnabled({ projectId, id, enabled: false });
    expect(await latest()).toBe(before);
    expect(agentRow(world.deps, id)).toEqual(row);
  });

  it("enabling a busy agent keeps it as it is", async () => {
    const { session } = await sdk.session.start({ name: "home-agent" });
    await sdk.session.heartbeat({ sessionId: session.id, status: "busy" });
    await owner.agent.setEnabled({ projectId, id: world.homeAgent.id, enabled: true });
    expect(agentRow(world.deps, world.homeAgent.id)?.status).toBe("busy");
    expect(sessionRow(session.id)?.endedAt).toBeNull();
  });

  it("another project's agent is NOT_FOUND and stays enabled", async () => {
    await expectTRPCError(
      owner.agent.setEnabled({ projectId, id: world.foreignAgent.id, enabled: false }),
      "NOT_FOUND",
    );
    expect(agentRow(world.deps, world.foreignAgent.id)?.status).toBe("offline");
  });
});
