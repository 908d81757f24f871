import { WORK_LIMITS, type RunAssignment } from "@tower/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerWithSignal, createWorld, expectTRPCError, reader, type TestCaller, type World } from "../test-fixtures";

// The bulk calls: `task.enqueueMany` (an app queuing many runs, one transaction) and `run.report`
// (an agent's heartbeats, completions and failures together, one transaction, each answered alone).

let world: World;
let owner: TestCaller;
let projectId: string;
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

const agent = () => world.as({ apiKey: world.keys.agent.secret });
const count = (sql: string, ...args: unknown[]) =>
  (world.sqlite
    .prepare(sql)
    .pluck()
    .get(...args) as number) ?? 0;
const row = (id: string) =>
  world.sqlite.prepare("select status, attempt, progress, output, log_lines from runs where id = ?").get(id) as {
    status: string;
    attempt: number;
    progress: number;
    output: string | null;
    log_lines: number;
  };

/** home-agent takes `n` runs through its own key, as `agent.work` does. */
async function take(n: number) {
  const controller = new AbortController();
  controllers.push(controller);
  const caller = callerWithSignal(world.deps, { apiKey: world.keys.agent.secret }, controller.signal);
  const stream = reader(await caller.run.assignments({ projectId, agent: "home-agent", concurrency: n }));
  const runs = [];
  for (let i = 0; i < n; i++) {
    const item = (await stream.nextOrTimeout(2_000)) as unknown as RunAssignment | "timeout";
    if (item === "timeout" || item.type !== "run") throw new Error(`expected a run, got ${JSON.stringify(item)}`);
    runs.push(item.run);
  }
  return runs;
}

describe("task.enqueueMany", () => {
  it("queues a run per input in the order given, in one transaction with one audit record", async () => {
    await owner.task.create({ projectId, name: "index", input: { repo: "default" }, priority: 2 });
    const changes = count("select count(*) from changes");
    const audits = count("select count(*) from audit_events");
    const manage = world.as({ apiKey: world.keys.manage.secret });
    const { ids } = await manage.task.enqueueMany({
      task: "index",
      runs: [{ input: { repo: "a" } }, {}, { input: { repo: "c" }, priority: 9 }],
    });
    expect(ids).toHaveLength(3);
    const runs = ids.map((id) =>
      world.sqlite.prepare("select input, priority, trigger, status from runs where id = ?").get(id),
    );
    expect(runs).toEqual([
      { input: '{"repo":"a"}', priority: 2, trigger: "api", status: "queued" },
      { input: '{"repo":"default"}', priority: 2, trigger: "api", status: "queued" },
      { input: '{"repo":"c"}', priority: 9, trigger: "api", status: "queued" },
    ]);
    expect(count("select count(*) from changes") - changes).toBe(3); // each run is live on dashboards
    expect(count("select count(*) from audit_events") - audits).toBe(1);
    const audit = world.sqlite
      .prepare("select operation, target, detail from audit_events order by rowid desc limit 1")
      .get() as { operation: string; target: string; detail: string };
    expect(audit).toMatchObject({ operation: "run.enqueued", target: "index" });
    expect(JSON.parse(audit.detail)).toMatchObject({ count: 3, firstRunId: ids[0], lastRunId: ids[2] });
  });

  it("refuses an unknown task, an empty list and too many runs, queuing nothing", async () => {
    const before = count("select count(*) from runs");
    await expectTRPCError(owner.task.enqueueMany({ projectId, task: "nope", runs: [{}] }), "NOT_FOUND", /task/);
    await owner.task.create({ projectId, name: "index" });
    await expectTRPCError(
      owner.task.enqueueMany({ projectId, task: "index", runs: [] }),
      "BAD_REQUEST",
      /at least one/,
    );
    await expectTRPCError(
      owner.task.enqueueMany({ projectId, task: "index", runs: Array.from({ length: 1_001 }, () => ({})) }),
      "BAD_REQUEST",
      /At most 1000 runs/,
    );
    expect(count("select count(*) from runs")).toBe(before);
  });
});

describe("idempotency keys", () => {
  it("answers the run a key already queued instead of queuing it again, singly and in bulk", async () => {
    await owner.task.create({ projectId, name: "index" });
    const manage = world.as({ apiKey: world.keys.manage.secret });
    const first = await manage.task.runNow({ task: "index", input: { n: 1 }, idempotencyKey: "order-1" });
    expect(first.idempotencyKey).toBe("order-1");
    const runs = count("select count(*) from runs");
    const changes = count("select count(*) from changes");
    const audits = count("select count(*) from audit_events");
    // The same call again (its answer was lost, say): the same run, nothing made or recorded.
    const again = await manage.task.runNow({ task: "index", input: { n: 1 }, idempotencyKey: "order-1" });
    expect(again.id).toBe(first.id);
    // In bulk: the known key answers its run, the new ones are made, in the order given.
    const bulk = await manage.task.enqueueMany({
      task: "index",
      runs: [{ idempotencyKey: "order-0" }, { idempotencyKey: "order-1" }, { idempotencyKey: "order-2" }],
    });
    expect(bulk.ids[1]).toBe(first.id);
    expect(bulk.existing).toBe(1);
    expect(count("select count(*) from runs") - runs).toBe(2);
    expect(count("select count(*) from changes") - changes).toBe(2);
    expect(count("select count(*) from audit_events") - audits).toBe(1);
    // The whole call repeated: every id again, nothing new, no audit record.
    const repeated = await manage.task.enqueueMany({
      task: "index",
      runs: [{ idempotencyKey: "order-0" }, { idempotencyKey: "order-1" }, { idempotencyKey: "order-2" }],
    });
    expect(repeated).toEqual({ ids: bulk.ids, existing: 3 });
    expect(count("select count(*) from runs") - runs).toBe(2);
    expect(count("select count(*) from audit_events") - audits).toBe(1);
    // Keys are per project: another project queues its own run with the same key.
    const lobbyId = (await owner.project.create({ name: "Elsewhere" })).projectId;
    await owner.task.create({ projectId: lobbyId, name: "index" });
    const theirs = await owner.task.runNow({ projectId: lobbyId, task: "index", idempotencyKey: "order-1" });
    expect(theirs.id).not.toBe(first.id);
    expect(count("select count(*) from runs where idempotency_key = 'order-1'")).toBe(2);
  });

  it("refuses a key that already named a run of another task, naming the field, and queues nothing", async () => {
    await owner.task.create({ projectId, name: "index" });
    await owner.task.create({ projectId, name: "report" });
    const made = await owner.task.runNow({ projectId, task: "index", idempotencyKey: "k" });
    const runs = count("select count(*) from runs");
    await expectTRPCError(
      owner.task.runNow({ projectId, task: "report", idempotencyKey: "k" }),
      "CONFLICT",
      new RegExp(`idempotencyKey: The idempotency key "k" already queued run ${made.id} of task "index"`),
    );
    await expectTRPCError(
      owner.task.enqueueMany({ projectId, task: "report", runs: [{ idempotencyKey: "new" }, { idempotencyKey: "k" }] }),
      "CONFLICT",
      /runs\.1\.idempotencyKey: The idempotency key "k"/,
    );
    // Its task deleted and made again under the same name: the key still names the old run, and says so.
    const old = await owner.task.runNow({ projectId, task: "report", idempotencyKey: "kept" });
    await owner.task.delete({ projectId, id: old.taskId! });
    await owner.task.create({ projectId, name: "report" });
    await expectTRPCError(
      owner.task.runNow({ projectId, task: "report", idempotencyKey: "kept" }),
      "CONFLICT",
      new RegExp(`already queued run ${old.id} of task "report", since deleted: a key names one run, so use another`),
    );
    // One call naming one key twice would drop the second input: refused.
    await expectTRPCError(
      owner.task.enqueueMany({
        projectId,
        task: "index",
        runs: [{ idempotencyKey: "a" }, { input: { n: 2 }, idempotencyKey: "a" }],
      }),
      "BAD_REQUEST",
      /The idempotency key \\"a\\" is also run 0's: a key names one run/,
    );
    await expectTRPCError(
      owner.task.runNow({ projectId, task: "index", idempotencyKey: "" }),
      "BAD_REQUEST",
      /idempotency key cannot be empty/,
    );
    expect(count("select count(*) from runs")).toBe(runs + 1); // the "kept" run, made above
  });
});

describe("run.report", () => {
  it("applies heartbeats, completions and failures of many runs at once, each answered in order", async () => {
    await owner.task.create({ projectId, name: "batch", maxAttempts: 2 });
    await owner.task.enqueueMany({ projectId, task: "batch", runs: [{}, {}, {}] });
    const [a, b, c] = await take(3);
    const answers = await agent().run.report({
      reports: [
        { kind: "heartbeat", id: a!.id, attempt: 1, progress: 40, logs: ["started"] },
        { kind: "complete", id: b!.id, attempt: 1, output: { ok: true } },
        { kind: "fail", id: c!.id, attempt: 1, error: "boom" },
      ],
    });
    expect(answers).toEqual([
      { ok: true, status: "running", cancelRequested: false, leaseExpiresAt: world.clock.now() + 30_000 },
      { ok: true, status: "succeeded", cancelRequested: false, leaseExpiresAt: null },
      // Attempts remain: back in the queue for its next attempt.
      { ok: true, status: "queued", cancelRequested: false, leaseExpiresAt: null },
    ]);
    expect(row(a!.id)).toMatchObject({ status: "running", progress: 40, log_lines: 1 });
    expect(row(b!.id)).toMatchObject({ status: "succeeded", output: '{"ok":true}' });
    expect(row(c!.id)).toMatchObject({ status: "queued", attempt: 2 });
  });

  it("refuses a report whose run moved on, alone: the others in the call stand", async () => {
    await owner.task.create({ projectId, name: "batch" });
    await owner.task.enqueueMany({ projectId, task: "batch", runs: [{}, {}] });
    const [a, b] = await take(2);
    await agent().run.complete({ id: a!.id, attempt: 1 });
    const answers = await agent().run.report({
      reports: [
        { kind: "complete", id: a!.id, attempt: 1, output: "again" },
        { kind: "complete", id: b!.id, attempt: 1, output: "first" },
        { kind: "heartbeat", id: "0190a4b2-0000-7000-8000-000000000000", attempt: 1 },
      ],
    });
    expect(answers[0]).toMatchObject({
      ok: false,
      code: "CONFLICT",
      message: expect.stringMatching(/ended as succeeded/),
    });
    expect(answers[1]).toMatchObject({ ok: true, status: "succeeded" });
    expect(answers[2]).toMatchObject({ ok: false, code: "NOT_FOUND" });
    expect(row(a!.id).output).toBeNull(); // the first completion's (none), not the late one's
    expect(row(b!.id).output).toBe('"first"');
  });

  it("takes a run given back by a stopping agent into the queue at once, under a new attempt that costs none", async () => {
    await owner.task.create({ projectId, name: "batch", maxAttempts: 1 });
    await owner.task.enqueueMany({ projectId, task: "batch", runs: [{}, {}] });
    const [a, b] = await take(2);
    await owner.run.cancel({ projectId, id: b!.id }); // asked to cancel: giving it back ends it
    const answers = await agent().run.report({
      reports: [
        { kind: "release", id: a!.id, attempt: 1, logs: ["stopping"] },
        { kind: "release", id: b!.id, attempt: 1 },
      ],
    });
    expect(answers.map((a) => a.ok && a.status)).toEqual(["queued", "cancelled"]);
    expect(row(a!.id)).toMatchObject({ status: "queued", attempt: 2, log_lines: 1 });
    const maxAttempts = world.sqlite.prepare("select max_attempts from runs where id = ?").pluck().get(a!.id);
    expect(maxAttempts).toBe(2);
    // The old attempt's late report is refused; the run is offered again at once.
    await expectTRPCError(agent().run.complete({ id: a!.id, attempt: 1 }), "CONFLICT", /no longer held/);
    const [again] = await take(1);
    expect(again).toMatchObject({ id: a!.id, attempt: 2, status: "leased" });
  });

  it("takes reports of a run given back more times than a task may have attempts (each release adds one)", async () => {
    await owner.task.create({ projectId, name: "batch", maxAttempts: WORK_LIMITS.attempts });
    await owner.task.enqueueMany({ projectId, task: "batch", runs: [{}] });
    for (let attempt = 1; attempt <= WORK_LIMITS.attempts + 1; attempt++) {
      for (const controller of controllers.splice(0)) controller.abort(); // the stopped agent's stream
      const [run] = await take(1);
      expect(run).toMatchObject({ attempt });
      const [answer] = await agent().run.report({ reports: [{ kind: "release", id: run!.id, attempt }] });
      expect(answer).toMatchObject({ ok: true, status: "queued" });
    }
    for (const controller of controllers.splice(0)) controller.abort();
    const [last] = await take(1);
    expect(last!.attempt).toBe(WORK_LIMITS.attempts + 2);
    const [answer] = await agent().run.report({
      reports: [{ kind: "complete", id: last!.id, attempt: last!.attempt }],
    });
    expect(answer).toMatchObject({ ok: true, status: "succeeded" });
  });

  it("refuses the whole call, changing nothing, when one report is invalid", async () => {
    await owner.task.create({ projectId, name: "batch" });
    await owner.task.enqueueMany({ projectId, task: "batch", runs: [{}, {}] });
    const [a, b] = await take(2);
    await expectTRPCError(
      agent().run.report({
        reports: [
          { kind: "complete", id: a!.id, attempt: 1 },
          { kind: "heartbeat", id: b!.id, attempt: 1, progress: 140 },
        ],
      }),
      "BAD_REQUEST",
      /Progress is 0 to 100/,
    );
    expect([row(a!.id).status, row(b!.id).status]).toEqual(["leased", "leased"]);
  });
});

describe("run.assignments", () => {
  it("gives back the runs it claimed but never handed over when the stream ends, as they were", async () => {
    await owner.task.create({ projectId, name: "batch" });
    const { ids } = await owner.task.enqueueMany({ projectId, task: "batch", runs: [{}, {}, {}] });
    const caller = callerWithSignal(world.deps, { apiKey: world.keys.agent.secret }, new AbortController().signal);
    const stream = (await caller.run.assignments({ projectId, agent: "home-agent", concurrency: 3 }))[
      Symbol.asyncIterator
    ]();
    const first = (await stream.next()).value as RunAssignment;
    expect(first).toMatchObject({ type: "run", run: { id: ids[0] } });
    await stream.return?.(undefined); // the agent went away after the first of three claimed runs
    expect(row(ids[0]!)).toMatchObject({ status: "leased", attempt: 1 });
    for (const id of ids.slice(1)) expect(row(id)).toMatchObject({ status: "queued", attempt: 1 });
    const agentOf = world.sqlite.prepare("select agent_name from runs where id = ?").pluck();
    expect(agentOf.get(ids[1])).toBeNull();
  });
});
