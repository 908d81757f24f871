import type { RunAssignment } from "@tower/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Credentials } from "../core/deps";
import { callerWithSignal, createWorld, expectTRPCError, reader, type TestCaller, type World } from "../test-fixtures";
import { enqueueRuns, runTaskNow } from "./run-enqueue";
import { renewHeldLeases } from "./lease-renewal";
import { sweepWork } from "./work-sweep";

let world: World;
let owner: TestCaller;
let projectId: string;
const LEASE_MS = 30_000; // DEFAULT_WORK_POLICY
const controllers: AbortController[] = [];

beforeEach(async () => {
  world = await createWorld();
  owner = world.users.owner.caller;
  projectId = world.projectId;
});
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort();
  world.close();
});

const agentCredentials = (): Credentials => ({ apiKey: world.keys.agent.secret });
const agentCaller = () => world.as(agentCredentials());

/** home-agent (role coder) waiting for work through its own key, as the SDK does. */
async function waitForWork(
  concurrency = 1,
  credentials: Credentials = agentCredentials(),
  agent = "home-agent",
  batch = false,
) {
  const controller = new AbortController();
  controllers.push(controller);
  const caller = callerWithSignal(world.deps, credentials, controller.signal);
  const stream = reader(await caller.run.assignments({ projectId, agent, concurrency, batch }));
  return {
    open: stream.open,
    stop: () => controller.abort(),
    /** The next assignment (the stream yields them bare, not as tracked envelopes), or "timeout". */
    next: async (ms = 1_000) => {
      const item = await stream.nextOrTimeout(ms);
      return item === "timeout" ? item : (item as unknown as RunAssignment);
    },
  };
}

async function nextRun(stream: Awaited<ReturnType<typeof waitForWork>>) {
  const item = await stream.next(2_000);
  if (item === "timeout" || item.type !== "run") throw new Error(`expected a run, got ${JSON.stringify(item)}`);
  return item.run;
}

/** Replaces this test's world with one whose every SQL statement `trace` sees, to count them. */
async function traceWorld(trace: (sql: string) => void) {
  world.close();
  world = await createWorld({ trace });
  owner = world.users.owner.caller;
  projectId = world.projectId;
}

const runStatus = (id: string) =>
  world.sqlite.prepare("select status, attempt from runs where id = ?").get(id) as { status: string; attempt: number };

describe("runs", () => {
  it("goes queued → leased → running → succeeded, pushed to the waiting agent, with progress, logs and output", async () => {
    await owner.task.create({ projectId, name: "index", input: { repo: "tower" } });
    const stream = await waitForWork();
    stream.open();
    const manage = world.as({ apiKey: world.keys.manage.secret });
    const queued = await manage.task.runNow({ task: "index" });
    expect(queued).toMatchObject({ status: "queued", trigger: "api", attempt: 1, input: { repo: "tower" } });

    const run = await nextRun(stream);
    expect(run).toMatchObject({ id: queued.id, status: "leased", agentName: "home-agent" });
    expect(run.leaseExpiresAt).toBe(world.clock.now() + LEASE_MS);

    const agent = agentCaller();
    const beat = await agent.run.heartbeat({
      id: run.id,
      attempt: 1,
      progress: 40,
      message: "indexing",
      logs: ["a", "b"],
    });
    expect(beat).toMatchObject({ cancelRequested: false, status: "running" });
    const done = await agent.run.complete({ id: run.id, attempt: 1, output: { files: 12 }, logs: ["done"] });
    expect(done).toMatchObject({ status: "succeeded", output: { files: 12 }, progress: 100, logLines: 3 });
    expect((await owner.run.logs({ projectId, id: run.id })).items.map((l) => l.line)).toEqual(["a", "b", "done"]);
    // Finished: a second completion is refused, saying why.
    await expectTRPCError(agent.run.complete({ id: run.id }), "CONFLICT", /no longer held.*ended as succeeded/);
  });

  it("publishes each change of a run as the row stored (queue, lease, heartbeats, completion, bulk and reports)", async () => {
    // The server builds these rows itself rather than reading them back (no RETURNING): each
    // published copy must still be exactly what SQLite holds after that change.
    const lastPublished = (id: string) =>
      JSON.parse(
        (
          world.sqlite
            .prepare("select data from changes where entity = 'run' and entity_id = ? order by id desc limit 1")
            .get(id) as { data: string }
        ).data,
      );
    const publishedAsStored = async (id: string) =>
      expect(lastPublished(id)).toEqual(JSON.parse(JSON.stringify(await owner.run.byId({ projectId, id }))));

    await owner.task.create({ projectId, name: "index", input: { repo: "tower" }, queuedTtlSeconds: 600 });
    const manage = world.as({ apiKey: world.keys.manage.secret });
    const single = await manage.task.runNow({ task: "index", priority: 3 });
    await publishedAsStored(single.id);
    const [bulk] = (await manage.task.enqueueMany({ task: "index", runs: [{ input: { n: 1 } }] })).ids;
    await publishedAsStored(bulk!);
    const stream = await waitForWork(2);
    const [a, b] = [await nextRun(stream), await nextRun(stream)];
    expect([a.id, b.id]).toEqual([single.id, bulk]); // the higher priority first
    await publishedAsStored(a.id);
    await publishedAsStored(b.id);
    const agent = agentCaller();
    await agent.run.heartbeat({ id: a.id, attempt: 1, progress: 40.4, message: "indexing", logs: ["x"] });
    await publishedAsStored(a.id);
    await agent.run.heartbeat({ id: a.id, attempt: 1 }); // no progress given: kept
    await publishedAsStored(a.id);
    await agent.run.complete({ id: a.id, attempt: 1, output: { files: [1, 2], nested: { ok: true } } });
    await publishedAsStored(a.id);
    await agent.run.report({ reports: [{ kind: "heartbeat", id: b.id, attempt: 1, progress: 10, message: "m" }] });
    await publishedAsStored(b.id);
    await agent.run.report({ reports: [{ kind: "complete", id: b.id, attempt: 1, logs: ["done"] }] });
    await publishedAsStored(b.id);
    expect(await owner.run.byId({ projectId, id: a.id })).toMatchObject({
      status: "succeeded",
      progress: 100,
      progressMessage: "indexing",
      output: { files: [1, 2], nested: { ok: true } },
    });
  });

  it("leases a run to a waiting agent in the commit that queues it, and counts it as held", async () => {
    await owner.task.create({ projectId, name: "now" });
    const stream = await waitForWork(1);
    stream.open();
    expect(await stream.next(100)).toBe("timeout"); // asleep: nothing queued
    const app = { type: "apiKey" as const, id: null, name: "app" };
    // Synchronous: when the call returns, nothing has run since its commit, and the run is leased.
    const first = runTaskNow(world.deps, projectId, { task: "now" }, app);
    expect(runStatus(first.id)).toEqual({ status: "leased", attempt: 1 });
    expect((await nextRun(stream)).id).toBe(first.id);
    // Concurrency 1, and the run handed over counts: the next stays queued…
    const [second] = enqueueRuns(world.deps, projectId, { task: "now", runs: [{}] }, app).ids;
    expect(runStatus(second!)).toEqual({ status: "queued", attempt: 1 });
    expect(await stream.next(100)).toBe("timeout");
    // …the agent is told when the one it holds is cancelled…
    await owner.run.cancel({ projectId, id: first.id });
    expect(await stream.next()).toMatchObject({ type: "cancel", runId: first.id });
    await agentCaller().run.fail({ id: first.id, attempt: 1, error: "stopped" });
    // …and takes the next once it is free.
    expect((await nextRun(stream)).id).toBe(second);
  });

  it("caps the runs an agent holds across all its streams: opening more does not raise it", async () => {
    await owner.task.create({ projectId, name: "many" });
    const app = { type: "apiKey" as const, id: null, name: "app" };
    enqueueRuns(world.deps, projectId, { task: "many", runs: Array.from({ length: 100 }, () => ({})) }, app);
    const streams = await Promise.all([waitForWork(64), waitForWork(64), waitForWork(64)]);
    streams.forEach((stream) => stream.open());
    const taken = new Set<string>();
    for (const stream of streams) {
      for (let item = await stream.next(200); item !== "timeout"; item = await stream.next(200)) {
        if (item.type === "run") taken.add(item.run.id);
      }
    }
    expect(taken.size).toBe(64);
    const held = world.sqlite.prepare("select count(*) from runs where status = 'leased'").pluck().get();
    expect(held).toBe(64);
  });

  it("wakes only the agents a queued run is for, and no other once it is handed over", async () => {
    // Every statement that looks for claimable runs, counted on a world of its own.
    let claims = 0;
    await traceWorld((sql) => void (sql.includes("'any' OR") && claims++));
    const names = ["coder-1", "coder-2", "coder-3", "coder-4", "coder-5"];
    for (const name of names) await owner.agent.create({ projectId, name, role: "coder" });
    await owner.task.create({ projectId, name: "for-coder-4", target: { kind: "agent", value: "coder-4" } });
    await owner.task.create({ projectId, name: "for-coders", target: { kind: "role", value: "coder" } });
    const manage = { apiKey: world.keys.manage.secret };
    const streams = await Promise.all(names.map((name) => waitForWork(1, manage, name)));
    streams.forEach((stream) => stream.open());
    for (const stream of streams) expect(await stream.next(50)).toBe("timeout"); // all asleep
    const app = { type: "apiKey" as const, id: null, name: "app" };
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

    // A run for one named agent: only that agent is asked, and nobody else looks at the queue.
    claims = 0;
    const named = runTaskNow(world.deps, projectId, { task: "for-coder-4" }, app);
    expect(runStatus(named.id)).toEqual({ status: "leased", attempt: 1 });
    expect((await nextRun(streams[3]!)).id).toBe(named.id);
    await settle();
    expect(claims).toBe(1);

    // A run any coder may take: the first waiting one takes it; the others, who saw it queued and
    // then leased, do not go looking for it.
    claims = 0;
    const shared = runTaskNow(world.deps, projectId, { task: "for-coders" }, app);
    expect(runStatus(shared.id)).toEqual({ status: "leased", attempt: 1 });
    await settle();
    expect(claims).toBe(1);
    const taker = world.sqlite.prepare("select agent_name from runs where id = ?").pluck().get(shared.id);
    expect((await nextRun(streams[names.indexOf(taker as string)]!)).id).toBe(shared.id);
  });

  it("leases a schedule's fire, in the sweep that makes it, to an agent waiting for it", async () => {
    const task = await owner.task.create({ projectId, name: "tick", cron: "* * * * * *" });
    const stream = await waitForWork(1);
    stream.open();
    expect(await stream.next(50)).toBe("timeout");
    world.clock.advance(1_000);
    expect(sweepWork(world.deps)).toMatchObject({ fired: 1 });
    const [fired] = (await owner.run.list({ projectId })).items;
    expect(fired).toMatchObject({ status: "leased", agentName: "home-agent", scheduledFor: task.nextFireAt });
    expect((await nextRun(stream)).id).toBe(fired!.id);
  });

  it("gives back a run handed to a stream that ended before delivering it", async () => {
    await owner.task.create({ projectId, name: "late" });
    const stream = await waitForWork(1);
    stream.open();
    expect(await stream.next(100)).toBe("timeout");
    const run = runTaskNow(world.deps, projectId, { task: "late" }, { type: "apiKey", id: null, name: "app" });
    stream.stop(); // before the stream woke to hand it over
    await expect.poll(() => runStatus(run.id)).toEqual({ status: "queued", attempt: 1 });
  });

  it("offers only runs whose target matches the agent, highest priority first, within its concurrency", async () => {
    await owner.task.create({ projectId, name: "for-reviewers", target: { kind: "role", value: "reviewer" } });
    await owner.task.create({ projectId, name: "for-someone-else", target: { kind: "agent", value: "other" } });
    await owner.task.create({ projectId, name: "for-coders", target: { kind: "role", value: "coder" } });
    await owner.task.create({ projectId, name: "for-me", target: { kind: "agent", value: "home-agent" } });
    for (const task of ["for-reviewers", "for-someone-else", "for-coders"])
      await owner.task.runNow({ projectId, task });
    const urgent = await owner.task.runNow({ projectId, task: "for-me", priority: 5 });

    const stream = await waitForWork(1);
    const first = await nextRun(stream);
    expect(first.id).toBe(urgent.id);
    expect(await stream.next(100)).toBe("timeout"); // concurrency 1: nothing more while it holds one
    await agentCaller().run.complete({ id: first.id });
    expect((await nextRun(stream)).taskName).toBe("for-coders");
    expect(await stream.next(100)).toBe("timeout"); // the others are not for home-agent
  });

  it("hands a waiting agent as many runs as its concurrency allows, oldest first, and the rest as it frees up", async () => {
    await owner.task.create({ projectId, name: "batch" });
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await owner.task.runNow({ projectId, task: "batch" }));
    const stream = await waitForWork(3);
    const first = [await nextRun(stream), await nextRun(stream), await nextRun(stream)];
    expect(first.map((r) => r.id)).toEqual(made.slice(0, 3).map((r) => r.id));
    expect(await stream.next(100)).toBe("timeout");
    await agentCaller().run.complete({ id: first[1]!.id });
    expect((await nextRun(stream)).id).toBe(made[3]!.id);
  });

  it("hands the runs claimed together in one message to a stream that asks for batches", async () => {
    await owner.task.create({ projectId, name: "batched" });
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await owner.task.runNow({ projectId, task: "batched" }));
    const stream = await waitForWork(5, agentCredentials(), "home-agent", true);
    const item = await stream.next(2_000);
    expect(item).toMatchObject({ type: "runs", leaseMs: LEASE_MS });
    const runs = (item as Extract<RunAssignment, { type: "runs" }>).runs;
    expect(runs.map((run) => [run.id, run.status, run.agentName])).toEqual(
      made.map((run) => [run.id, "leased", "home-agent"]),
    );
    // One more queued while it waits comes alone, as a plain `run`.
    const later = await owner.task.runNow({ projectId, task: "batched" });
    expect(await stream.next(2_000)).toMatchObject({ type: "run", run: { id: later.id } });
  });

  it("answers a report sent again (its answer lost) as stored, where one without its id is refused as stale", async () => {
    await owner.task.create({ projectId, name: "resent", maxAttempts: 3, backoffSeconds: 0 });
    const done = await owner.task.runNow({ projectId, task: "resent" });
    const failed = await owner.task.runNow({ projectId, task: "resent" });
    const stream = await waitForWork(2);
    await nextRun(stream);
    await nextRun(stream);
    const agent = agentCaller();
    const reports = [
      { kind: "complete" as const, id: done.id, attempt: 1, output: { n: 1 }, reportId: "report-1" },
      { kind: "fail" as const, id: failed.id, attempt: 1, error: "boom", reportId: "report-2" },
    ];
    const first = await agent.run.report({ reports });
    expect(first).toMatchObject([
      { ok: true, status: "succeeded" },
      { ok: true, status: "queued" },
    ]);
    const changes = () => world.sqlite.prepare("select count(*) from changes").pluck().get();
    const before = changes();
    expect(await agent.run.report({ reports })).toEqual(first);
    expect(changes()).toBe(before); // stored once
    expect(runStatus(failed.id)).toEqual({ status: "queued", attempt: 2 });
    const stale = await agent.run.report({
      reports: [
        { kind: "complete", id: done.id, attempt: 1, reportId: "report-3" },
        { kind: "complete", id: done.id, attempt: 1 },
      ],
    });
    expect(stale).toMatchObject([
      { ok: false, code: "CONFLICT", message: /ended as succeeded/ },
      { ok: false, code: "CONFLICT", message: /ended as succeeded/ },
    ]);
  });

  it("retries a failed attempt after its backoff, then ends failed when attempts are spent", async () => {
    await owner.task.create({ projectId, name: "flaky", maxAttempts: 2, backoffSeconds: 30 });
    const queued = await owner.task.runNow({ projectId, task: "flaky" });
    let stream = await waitForWork();
    await nextRun(stream);
    const retried = await agentCaller().run.fail({ id: queued.id, attempt: 1, error: "boom" });
    expect(retried).toMatchObject({
      status: "queued",
      attempt: 2,
      error: "boom",
      availableAt: world.clock.now() + 30_000,
    });
    expect(await stream.next(100)).toBe("timeout"); // backing off
    stream.stop();

    world.clock.advance(30_000);
    stream = await waitForWork();
    const second = await nextRun(stream);
    expect(second).toMatchObject({ id: queued.id, attempt: 2 });
    // A late call about attempt 1 is refused: that attempt is over.
    await expectTRPCError(agentCaller().run.complete({ id: queued.id, attempt: 1 }), "CONFLICT", /no longer held/);
    expect(await agentCaller().run.fail({ id: queued.id, attempt: 2, error: "boom again" })).toMatchObject({
      status: "failed",
      error: "boom again",
    });
  });

  it("takes a run back when its lease lapses: the holder is told, and the run completes once, elsewhere", async () => {
    await owner.task.create({ projectId, name: "long", maxAttempts: 3 });
    const queued = await owner.task.runNow({ projectId, task: "long" });
    const crashed = await waitForWork();
    await nextRun(crashed);
    world.clock.advance(LEASE_MS + 1);
    expect(sweepWork(world.deps).lapsed).toBe(1);
    expect(runStatus(queued.id)).toEqual({ status: "queued", attempt: 2 });
    const told = await crashed.next();
    expect(told).toMatchObject({ type: "taken", runId: queued.id, attempt: 1, reason: /lease lapsed/ });
    crashed.stop();

    world.clock.advance(10_000); // the backoff
    const rescuer = await waitForWork();
    const again = await nextRun(rescuer);
    expect(again.attempt).toBe(2);
    await agentCaller().run.complete({ id: queued.id, attempt: 2, output: "ok" });
    await expectTRPCError(agentCaller().run.complete({ id: queued.id, attempt: 1 }), "CONFLICT");
    expect(runStatus(queued.id)).toEqual({ status: "succeeded", attempt: 2 });
  });

  it("refuses a report of an attempt the run never had as such, not as a lapsed lease, and keeps the run", async () => {
    await owner.task.create({ projectId, name: "numbered", maxAttempts: 3, backoffSeconds: 0 });
    const queued = await owner.task.runNow({ projectId, task: "numbered" });
    const stream = await waitForWork();
    expect(await nextRun(stream)).toMatchObject({ id: queued.id, attempt: 1 });
    const agent = agentCaller();

    const refused = await expectTRPCError(
      agent.run.heartbeat({ id: queued.id, attempt: 2 }),
      "CONFLICT",
      `Run ${queued.id} is on attempt 1 (leased); attempt 2 does not exist: send the attempt it was leased with`,
    );
    expect(refused.message).not.toMatch(/lapsed|no longer held/);
    // A run queued and never leased is held by no one: nothing lapsed either.
    const waiting = await owner.task.runNow({ projectId, task: "numbered" });
    await expectTRPCError(
      agent.run.complete({ id: waiting.id }),
      "CONFLICT",
      `Run ${waiting.id} is queued (attempt 1) and held by no agent: only the agent it is leased to reports on it`,
    );
    await expectTRPCError(agent.run.complete({ id: queued.id, attempt: 7 }), "CONFLICT", /attempt 7 does not exist/);
    // In a report call it refuses that report alone; the run is still the agent's, on attempt 1.
    const answers = await agent.run.report({
      reports: [
        { kind: "heartbeat", id: queued.id, attempt: 2 },
        { kind: "heartbeat", id: queued.id, attempt: 1, progress: 10 },
      ],
    });
    expect(answers[0]).toMatchObject({ ok: false, code: "CONFLICT", message: /attempt 2 does not exist/ });
    expect(answers[1]).toMatchObject({ ok: true, status: "running" });
    expect(runStatus(queued.id)).toEqual({ status: "running", attempt: 1 });

    // An attempt taken back is still told as one whose lease lapsed.
    world.clock.advance(LEASE_MS + 1);
    sweepWork(world.deps);
    expect(runStatus(queued.id)).toEqual({ status: "queued", attempt: 2 });
    await expectTRPCError(
      agent.run.heartbeat({ id: queued.id, attempt: 1 }),
      "CONFLICT",
      /no longer held by this agent: its lease lapsed .*now attempt 2, queued/,
    );
  });

  it("offers a run taken back to the same stream again after a lease, when no one else took it (it waited for ever)", async () => {
    await owner.task.create({ projectId, name: "overran", maxAttempts: 3, backoffSeconds: 0 });
    const queued = await owner.task.runNow({ projectId, task: "overran" });
    const only = await waitForWork(); // the one agent that may take it, alive and connected
    await nextRun(only);
    world.clock.advance(LEASE_MS + 1);
    sweepWork(world.deps);
    expect(await only.next()).toMatchObject({ type: "taken", runId: queued.id });
    expect(await only.next(200)).toBe("timeout");
    world.clock.advance(LEASE_MS);
    // The stream looks at the queue when its lease of exclusion is over (a timer; here, any change).
    const agentId = world.sqlite.prepare("select id from agents where name = 'home-agent'").pluck().get() as string;
    await owner.agent.update({ projectId, id: agentId, patch: { description: "still here" } });
    expect(await nextRun(only)).toMatchObject({ id: queued.id, attempt: 2 });
  });

  it("takes the runs a disabled agent holds from it at once: told, back in the queue, no attempt spent", async () => {
    await owner.task.create({ projectId, name: "killed", maxAttempts: 1 });
    const held = await owner.task.runNow({ projectId, task: "killed" });
    const cancelling = await owner.task.runNow({ projectId, task: "killed" });
    const stream = await waitForWork(2);
    await nextRun(stream);
    await nextRun(stream);
    await owner.run.cancel({ projectId, id: cancelling.id });
    expect(await stream.next()).toMatchObject({ type: "cancel", runId: cancelling.id });
    const agentId = world.sqlite.prepare("select id from agents where name = 'home-agent'").pluck().get() as string;
    await owner.agent.setEnabled({ projectId, id: agentId, enabled: false });
    expect(await stream.next()).toMatchObject({
      type: "taken",
      runId: held.id,
      reason: 'Taken back: "home-agent" was disabled by an operator',
    });
    expect(await stream.next(200)).toBe("timeout"); // the one being cancelled was told already
    expect(runStatus(held.id)).toEqual({ status: "queued", attempt: 2 });
    expect(runStatus(cancelling.id)).toEqual({ status: "cancelled", attempt: 1 });
    const row = world.sqlite.prepare("select max_attempts, error from runs where id = ?").get(held.id);
    expect(row).toEqual({ max_attempts: 2, error: 'Taken back: "home-agent" was disabled by an operator' });
    // Its late report is refused.
    await expectTRPCError(agentCaller().run.complete({ id: held.id, attempt: 1 }), "CONFLICT");
    // Enabled again, it may take the run back at once: a disabled agent was not a stalled one.
    await owner.agent.setEnabled({ projectId, id: agentId, enabled: true });
    expect(await nextRun(stream)).toMatchObject({ id: held.id, attempt: 2 });
  });

  it("does not offer a run back to the stream it was taken from for a lease (its agent may be stalled), only to others", async () => {
    await owner.task.create({ projectId, name: "stalled", maxAttempts: 5, backoffSeconds: 0 });
    const queued = await owner.task.runNow({ projectId, task: "stalled" });
    const stalled = await waitForWork();
    await nextRun(stalled);
    world.clock.advance(LEASE_MS + 1);
    sweepWork(world.deps);
    expect(await stalled.next()).toMatchObject({ type: "taken", runId: queued.id });
    expect(await stalled.next(200)).toBe("timeout"); // not leased to it again: no attempt spent unseen
    expect(runStatus(queued.id)).toEqual({ status: "queued", attempt: 2 });
    const fresh = await waitForWork(); // the agent's next connection (or another agent) takes it
    expect(await nextRun(fresh)).toMatchObject({ id: queued.id, attempt: 2 });
  });

  it("gives a restarted agent the runs its dead process held, once their leases lapse", async () => {
    await owner.task.create({ projectId, name: "restarted", maxAttempts: 5, backoffSeconds: 0 });
    const first = await owner.task.runNow({ projectId, task: "restarted" });
    const second = await owner.task.runNow({ projectId, task: "restarted" });
    const dead = await waitForWork(2);
    await nextRun(dead);
    await nextRun(dead);
    dead.stop(); // SIGKILLed: its runs stay leased until their leases lapse
    const restarted = await waitForWork(2); // the same agent, started again at once
    expect(await restarted.next(200)).toBe("timeout");
    world.clock.advance(LEASE_MS + 1);
    sweepWork(world.deps);
    // It was never given those attempts: they are not runs taken from it, and it takes them again.
    const taken = [await restarted.next(), await restarted.next(), await restarted.next(), await restarted.next()];
    const runs = taken
      .filter((item) => item !== "timeout" && item.type === "run")
      .map((item) => (item as { run: { id: string; attempt: number } }).run);
    expect(runs.map((run) => [run.id, run.attempt]).sort()).toEqual(
      [
        [first.id, 2],
        [second.id, 2],
      ].sort(),
    );
  });

  it("gives held runs a whole lease when Tower starts again: a lease that ran out while it was down is not lost", async () => {
    await owner.task.create({ projectId, name: "outage", maxAttempts: 1 });
    const queued = await owner.task.runNow({ projectId, task: "outage" });
    const stream = await waitForWork();
    await nextRun(stream);
    world.clock.advance(LEASE_MS * 2); // Tower down for two leases: the agent could not renew
    expect(renewHeldLeases(world.deps)).toEqual({ renewed: 1 });
    expect(sweepWork(world.deps).lapsed).toBe(0);
    // The agent, which finished meanwhile, gets its completion in.
    expect(await agentCaller().run.complete({ id: queued.id, attempt: 1, output: "done" })).toMatchObject({
      status: "succeeded",
    });
    // An agent that died with Tower loses its runs one lease after the start.
    const orphan = await owner.task.runNow({ projectId, task: "outage" });
    await nextRun(stream);
    world.clock.advance(LEASE_MS * 2);
    renewHeldLeases(world.deps);
    world.clock.advance(LEASE_MS + 1);
    expect(sweepWork(world.deps).lapsed).toBe(1);
    expect(runStatus(orphan.id).status).toBe("failed");
  });

  it("cancels: a queued run at once; a held one tells its agent, which stops and reports", async () => {
    await owner.task.create({ projectId, name: "cancel-me" });
    const waiting = await owner.task.runNow({ projectId, task: "cancel-me" });
    expect(await world.users.operator.caller.run.cancel({ projectId, id: waiting.id })).toMatchObject({
      status: "cancelled",
    });

    const held = await owner.task.runNow({ projectId, task: "cancel-me" });
    const stream = await waitForWork();
    await nextRun(stream);
    await agentCaller().run.heartbeat({ id: held.id });
    const marked = await owner.run.cancel({ projectId, id: held.id });
    expect(marked).toMatchObject({ status: "running", cancelRequested: true });
    const told = await stream.next();
    expect(told).toEqual({ type: "cancel", runId: held.id, attempt: 1, reason: "Cancelled by an operator" });
    expect((await agentCaller().run.heartbeat({ id: held.id })).cancelRequested).toBe(true);
    expect(await agentCaller().run.fail({ id: held.id, error: "stopped" })).toMatchObject({ status: "cancelled" });
    await expectTRPCError(owner.run.cancel({ projectId, id: held.id }), "CONFLICT", /already ended as cancelled/);
    await expectTRPCError(world.users.viewer.caller.run.cancel({ projectId, id: held.id }), "FORBIDDEN");
  });

  it("times out an attempt that overruns its maximum duration, and expires a run nobody took in time", async () => {
    await owner.task.create({ projectId, name: "slow", maxDurationSeconds: 60 });
    await owner.task.create({
      projectId,
      name: "stale",
      queuedTtlSeconds: 120,
      target: { kind: "role", value: "nobody" },
    });
    const slow = await owner.task.runNow({ projectId, task: "slow" });
    const stale = await owner.task.runNow({ projectId, task: "stale" });
    const stream = await waitForWork();
    await nextRun(stream);
    for (let i = 0; i < 6; i++) {
      world.clock.advance(20_000);
      await agentCaller()
        .run.heartbeat({ id: slow.id })
        .catch(() => null);
      sweepWork(world.deps);
    }
    expect(runStatus(slow.id).status).toBe("timed_out");
    expect(runStatus(stale.id).status).toBe("expired");
    const told = await stream.next();
    expect(told).toMatchObject({ type: "taken", runId: slow.id, reason: /Timed out/ });
  });

  it("retries an ended run as a new run that points back at it", async () => {
    await owner.task.create({ projectId, name: "again", input: { x: 1 } });
    const first = await owner.task.runNow({ projectId, task: "again" });
    await expectTRPCError(owner.run.retry({ projectId, id: first.id }), "CONFLICT", /still queued/);
    await owner.run.cancel({ projectId, id: first.id });
    const second = await owner.run.retry({ projectId, id: first.id });
    expect(second).toMatchObject({ status: "queued", trigger: "retry", retryOf: first.id, input: { x: 1 } });
    // With an agent waiting, the retry is leased to it in the commit that queues it.
    await owner.run.cancel({ projectId, id: second.id });
    const stream = await waitForWork(1);
    stream.open();
    expect(await stream.next(50)).toBe("timeout");
    const third = await owner.run.retry({ projectId, id: second.id });
    expect(runStatus(third.id)).toEqual({ status: "leased", attempt: 1 });
    expect((await nextRun(stream)).id).toBe(third.id);
  });

  it("keeps a policy rule's deny: the agent is not offered that task's runs", async () => {
    await owner.policy.save({
      projectId,
      expectedVersion: 0,
      document: {
        rules: [
          { id: "no-deploys", match: { tools: ["task:deploy"] }, effect: "deny", reason: "Deploys are for people" },
        ],
      },
    });
    await owner.task.create({ projectId, name: "deploy" });
    await owner.task.create({ projectId, name: "lint" });
    await owner.task.runNow({ projectId, task: "deploy" });
    const lint = await owner.task.runNow({ projectId, task: "lint" });
    const stream = await waitForWork(4);
    expect((await nextRun(stream)).id).toBe(lint.id);
    expect(await stream.next(100)).toBe("timeout");
    // Lifting the rule reaches the waiting agent at once (not at its next look unprompted).
    await owner.policy.save({ projectId, expectedVersion: 1, document: { rules: [] } });
    expect(await nextRun(stream)).toMatchObject({ taskName: "deploy" });
  });

  it("looks at the queue unprompted soon when the agent was refused, and rarely when it is only idle", async () => {
    // Each look at the queue with room left ends by asking when the next run backing off is due.
    let looks = 0;
    await traceWorld((sql) => void (sql.startsWith('select min("available_at")') && looks++));
    world.deps.work = { leaseMs: LEASE_MS, refusedRecheckMs: 20, idleRecheckMs: 60_000 };
    const home = await owner.agent.byName({ projectId, name: "home-agent" });
    await owner.agent.setEnabled({ projectId, id: home.id, enabled: false });
    const refused = await waitForWork(1);
    refused.open();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(looks).toBeGreaterThanOrEqual(3);
    refused.stop();
    await owner.agent.setEnabled({ projectId, id: home.id, enabled: true });
    const idle = await waitForWork(1);
    idle.open();
    expect(await idle.next(50)).toBe("timeout");
    looks = 0;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(looks).toBe(0);
  });

  it("lets an agent key wait and report only as its own agents, and never across projects", async () => {
    await owner.agent.create({ projectId, name: "other-agent", role: "coder" });
    await expectTRPCError(
      waitForWork(1, agentCredentials(), "other-agent"),
      "FORBIDDEN",
      /cannot act as "other-agent"/,
    );
    await owner.task.create({ projectId, name: "t" });
    const run = await owner.task.runNow({ projectId, task: "t" });
    const foreign = world.users.foreignOwner.caller;
    await expectTRPCError(foreign.run.byId({ projectId: world.foreignProjectId, id: run.id }), "NOT_FOUND");
    await expectTRPCError(foreign.run.cancel({ projectId: world.foreignProjectId, id: run.id }), "NOT_FOUND");
  });

  it("lists runs newest first with filters, search and keyset pages", async () => {
    await owner.task.create({ projectId, name: "alpha" });
    await owner.task.create({ projectId, name: "beta" });
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await owner.task.runNow({ projectId, task: i % 2 ? "beta" : "alpha" }));
    await owner.run.cancel({ projectId, id: made[0]!.id });
    const page1 = await owner.run.list({ projectId, limit: 2 });
    const page2 = await owner.run.list({ projectId, limit: 2, cursor: page1.nextCursor });
    expect([...page1.items, ...page2.items].map((r) => r.id)).toEqual(
      made
        .slice(1)
        .reverse()
        .map((r) => r.id),
    );
    expect((await owner.run.list({ projectId, search: "bet" })).items).toHaveLength(2);
    expect((await owner.run.list({ projectId, status: "cancelled" })).items.map((r) => r.id)).toEqual([made[0]!.id]);
  });
});
