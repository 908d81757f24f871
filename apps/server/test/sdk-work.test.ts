// Work through the SDK against the real server: an app enqueues runs (tower.tasks.enqueue), an
// agent takes them as Tower pushes them (agent.work), reports progress, logs and output, fails,
// is cancelled mid-run, and stops cleanly.
import { createTowerClient, type AgentHandle, type RunContext, type TowerClient } from "@tower/sdk";
import NodeWebSocket from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness";

let tower: TestServer;
let app: TowerClient;
let client: TowerClient;
let agent: AgentHandle;
let agents = 0;

beforeAll(async () => {
  tower = await startTestServer();
  app = createTowerClient({ url: tower.url, apiKey: tower.apiKey });
  client = createTowerClient({
    url: tower.url,
    apiKey: tower.apiKey,
    WebSocket: NodeWebSocket as unknown as typeof globalThis.WebSocket,
  });
}, 30_000);

afterEach(async () => {
  await agent?.stop();
});

afterAll(async () => {
  await client.shutdown();
  await app.shutdown();
  await tower.stop();
});

/** A fresh agent (and a task only it takes), so tests never share runs. */
async function freshWorker(task: Record<string, unknown> = {}) {
  const name = `worker-${++agents}`;
  agent = client.agent(name, { profile: { role: "worker" } });
  await agent.start();
  await tower.owner.task.create({
    projectId: tower.projectId,
    name: `task-of-${name}`,
    target: { kind: "agent", value: name },
    ...task,
  });
  return { name, task: `task-of-${name}` };
}

/** Reads `read()` until `done` holds of what it returns (or fails after `timeoutMs`). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting; last seen: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The agent works with a handler that holds its run until told to stop, then throws; resolves once
 * a run of `task` (queued here) is in hand. `reason()` is what the run's signal said.
 */
async function workUntilAborted(task: string) {
  let started = false;
  let reason = "";
  agent.work(
    (run) =>
      new Promise((_resolve, reject) => {
        started = true;
        run.signal.addEventListener("abort", () => {
          reason = (run.signal.reason as Error).message;
          reject(new Error("stopped as asked"));
        });
      }),
  );
  const run = await app.tasks.enqueue(task);
  await until(async () => started, Boolean);
  return { run, reason: () => reason };
}

const runs = async (task: string) =>
  (await tower.owner.run.list({ projectId: tower.projectId, search: task, limit: 200 })).items;

describe("agent.work", () => {
  it("says through the error event when Tower does not take an outcome, which was dropped", async () => {
    const { task } = await freshWorker({ maxAttempts: 1 });
    const errors: Error[] = [];
    agent.on("error", (error) => errors.push(error));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: (id: string) => void;
    const runId = new Promise<string>((resolve) => (started = resolve));
    agent.work(async (run: RunContext) => {
      started(run.id);
      await held;
      return { late: true };
    });
    await app.tasks.enqueue(task, {});
    const id = await runId;
    // The attempt ends elsewhere meanwhile (a manage key may end any agent's run).
    const ended = await fetch(`${tower.url}/trpc/run.fail`, {
      method: "POST",
      headers: { authorization: `Bearer ${tower.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ id, attempt: 1, error: "ended elsewhere" }),
    });
    expect(ended.status).toBe(200);
    release();
    await until(
      async () => errors.length,
      (count) => count > 0,
    );
    expect(errors[0]!.message).toMatch(
      new RegExp(`^Run ${id} \\(attempt 1\\): Tower did not take its outcome, which was dropped: `),
    );
    expect((await runs(task))[0]).toMatchObject({ status: "failed", error: "ended elsewhere" });
  });

  it("runs what an app enqueues, at most `concurrency` at once, with progress, logs and output", async () => {
    const { task } = await freshWorker();
    let active = 0;
    let most = 0;
    agent.work(
      async (run: RunContext) => {
        most = Math.max(most, ++active);
        run.progress(50, "halfway");
        run.log(`working on ${String(run.input.n)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        active--;
        return { doubled: (run.input.n as number) * 2 };
      },
      { concurrency: 2 },
    );
    const enqueued = await Promise.all([1, 2, 3, 4, 5].map((n) => app.tasks.enqueue(task, { n })));
    expect(enqueued.every((run) => run.status === "queued" && run.trigger === "api")).toBe(true);

    const done = await until(
      () => runs(task),
      (list) => list.filter((r) => r.status === "succeeded").length === 5,
    );
    expect(done.map((r) => [r.status, r.output])).toEqual(
      expect.arrayContaining([1, 2, 3, 4, 5].map((n) => ["succeeded", { doubled: n * 2 }])),
    );
    expect(most).toBeLessThanOrEqual(2);
    const logs = await tower.owner.run.logs({ projectId: tower.projectId, id: done[0]!.id });
    expect(logs.items.map((l) => l.line)).toEqual([`working on ${String(done[0]!.input.n)}`]);
  });

  it("fails an attempt with the thrown error's message, and retries it while attempts remain", async () => {
    const { task } = await freshWorker({ maxAttempts: 2, backoffSeconds: 0 });
    let calls = 0;
    agent.work(async (run) => {
      calls++;
      if (run.attempt === 1) throw new Error("flaky network");
      return "second time lucky";
    });
    const queued = await app.tasks.enqueue(task);
    const run = await until(
      () => tower.owner.run.byId({ projectId: tower.projectId, id: queued.id }),
      (r) => r.status === "succeeded",
    );
    expect(run).toMatchObject({ attempt: 2, output: "second time lucky", error: null });
    expect(calls).toBe(2);
  });

  it("tells a running handler at once when an operator cancels; the run ends cancelled", async () => {
    const { task } = await freshWorker();
    const held = await workUntilAborted(task);
    const queued = held.run;
    await tower.owner.run.cancel({ projectId: tower.projectId, id: queued.id });
    const run = await until(
      () => tower.owner.run.byId({ projectId: tower.projectId, id: queued.id }),
      (r) => r.status === "cancelled",
    );
    expect(held.reason()).toBe("Cancelled by an operator");
    expect(run.error).toBe("stopped as asked");
  });

  it("aborts the run in hand when an operator disables the agent: it goes back to the queue, no attempt spent", async () => {
    const { task } = await freshWorker({ maxAttempts: 1 });
    const errors: string[] = [];
    agent.on("error", (error) => errors.push(error.message));
    const held = await workUntilAborted(task);
    const queued = held.run;
    await tower.owner.agent.setEnabled({ projectId: tower.projectId, id: agent.agent!.id, enabled: false });
    await until(
      async () => held.reason(),
      (text) => text !== "",
    );
    expect(held.reason()).toBe(`Taken back: "${agent.name}" was disabled by an operator`);
    const run = await tower.owner.run.byId({ projectId: tower.projectId, id: queued.id });
    expect(run).toMatchObject({ status: "queued", attempt: 2, maxAttempts: 2 });
    // The handler stopped as asked: nothing of its work was lost, so nothing is said as an error.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(errors.filter((message) => message.includes("dropped"))).toEqual([]);
  });

  it("stops taking runs when another process starts the same agent, which takes them instead", async () => {
    const { name, task } = await freshWorker();
    const taken: string[] = [];
    const errors: string[] = [];
    agent.on("error", (error) => errors.push(error.message));
    agent.work((run) => void taken.push(`first ${run.id}`));
    const other = createTowerClient({ url: tower.url, apiKey: tower.apiKey });
    try {
      const replacement = other.agent(name, { profile: { role: "worker" } });
      await replacement.start();
      // Heard at the first handle's next heartbeat (every 10 s).
      await until(
        async () => errors.join("\n"),
        (text) => text.includes("was started by another process"),
        25_000,
      );
      replacement.work((run) => void taken.push(`second ${run.id}`));
      const runs = await Promise.all([1, 2, 3].map((n) => app.tasks.enqueue(task, { n })));
      await until(
        async () => taken.length,
        (n) => n >= 3,
      );
      expect(taken.sort()).toEqual(runs.map((run) => `second ${run.id}`).sort());
    } finally {
      await other.shutdown();
    }
  }, 45_000);

  it("stops cleanly on agent.stop(): the run in hand is told and given back, no attempt spent, nothing more taken", async () => {
    const { task } = await freshWorker({ maxAttempts: 1 });
    let seen = 0;
    agent.work(
      (run) =>
        new Promise((_resolve, reject) => {
          seen++;
          run.signal.addEventListener("abort", () => reject(new Error((run.signal.reason as Error).message)));
        }),
    );
    const first = await app.tasks.enqueue(task);
    await until(
      async () => seen,
      (n) => n === 1,
    );
    await agent.stop();
    // Back in the queue for another agent under a new attempt number, its one attempt not spent.
    expect(await tower.owner.run.byId({ projectId: tower.projectId, id: first.id })).toMatchObject({
      status: "queued",
      attempt: 2,
      maxAttempts: 2,
      error: expect.stringMatching(/Given back unfinished by "worker-\d+", which was stopping/),
    });
    const second = await app.tasks.enqueue(task);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await tower.owner.run.byId({ projectId: tower.projectId, id: second.id })).status).toBe("queued");
    expect(seen).toBe(1);
  });

  it("aborts a held run at once when the agent's key is revoked, and shuts down without waiting on it", async () => {
    const key = await tower.owner.apiKey.create({
      projectId: tower.projectId,
      name: "soon revoked",
      scopes: ["manage"],
    });
    const own = createTowerClient({
      url: tower.url,
      apiKey: key.secret,
      WebSocket: NodeWebSocket as unknown as typeof globalThis.WebSocket,
    });
    const name = `worker-${++agents}`;
    const revokedAgent = own.agent(name, { profile: { role: "worker" } });
    await revokedAgent.start();
    await tower.owner.task.create({
      projectId: tower.projectId,
      name: `task-of-${name}`,
      target: { kind: "agent", value: name },
    });
    let reason = "";
    revokedAgent.work(
      (run) =>
        new Promise((_resolve, reject) => {
          // Progress goes out as a heartbeat: the first one after the revocation is refused.
          const timer = setInterval(() => run.progress(10), 50);
          run.signal.addEventListener("abort", () => {
            clearInterval(timer);
            reason = (run.signal.reason as Error).message;
            reject(new Error(reason));
          });
        }),
    );
    const held = await app.tasks.enqueue(`task-of-${name}`);
    await until(
      () => tower.owner.run.byId({ projectId: tower.projectId, id: held.id }),
      (run) => run.status === "running",
    );
    await tower.owner.apiKey.revoke({ projectId: tower.projectId, id: key.id });
    await until(
      async () => reason,
      (text) => text !== "",
    );
    expect(reason).toMatch(/^Tower refused the report: /);
    await own.shutdown(); // resolves: nothing retries a report Tower refuses for good
  });

  it("stops within its grace when Tower does not answer: the run goes back when its lease lapses", async () => {
    const { task } = await freshWorker();
    const errors: string[] = [];
    agent.on("error", (error) => errors.push(error.message));
    agent.work((run) => new Promise((resolve) => run.signal.addEventListener("abort", () => resolve("done anyway"))));
    const held = await app.tasks.enqueue(task);
    await until(
      () => tower.owner.run.byId({ projectId: tower.projectId, id: held.id }),
      (run) => run.status === "running",
    );
    await tower.pause();
    try {
      const stopped = agent.stop().then(() => "stopped");
      // The outcome is tried for STOP_REPORT_GRACE_MS (10 s), then given up and said.
      expect(await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 20_000, "hung"))])).toBe(
        "stopped",
      );
      expect(errors.join("\n")).toMatch(/outcome could not be reported before the agent stopped/);
      expect(errors.join("\n")).toMatch(/its session could not be ended .*Tower ends it when its heartbeats stop/);
    } finally {
      await tower.resume();
    }
  }, 30_000);

  it("queues runs in bulk with enqueueMany (over several calls) and reports them in batches, logs included", async () => {
    const { task } = await freshWorker();
    // A handler that returns at once: its first heartbeat is still waiting to go out, so the
    // completion takes its place and carries the log line written before returning.
    agent.work(
      (run) => {
        run.log(`n=${String(run.input.n)}`);
        return (run.input.n as number) + 1;
      },
      { concurrency: 16 },
    );
    const inputs = Array.from({ length: 1_200 }, (_, n) => ({ n }));
    const ids = await app.tasks.enqueueMany(task, inputs);
    expect(ids).toHaveLength(1_200);
    expect(new Set(ids).size).toBe(1_200);

    const succeeded = () =>
      tower.deps.db.$client
        .prepare("SELECT count(*) FROM runs WHERE task_name = ? AND status = 'succeeded'")
        .pluck()
        .get(task) as number;
    await until(
      async () => succeeded(),
      (n) => n === 1_200,
      30_000,
    );
    const first = await tower.owner.run.byId({ projectId: tower.projectId, id: ids[0]! });
    expect(first).toMatchObject({ status: "succeeded", input: { n: 0 }, output: 1, logLines: 1 });
    const last = await tower.owner.run.byId({ projectId: tower.projectId, id: ids[1_199]! });
    expect(last).toMatchObject({ input: { n: 1_199 }, output: 1_200 });
    const logs = await tower.owner.run.logs({ projectId: tower.projectId, id: ids[1_199]! });
    expect(logs.items.map((l) => l.line)).toEqual(["n=1199"]);
  });

  it("refuses to enqueue a task that does not exist, naming it", async () => {
    await expect(app.tasks.enqueueMany("no-such-task", [{}])).rejects.toThrow(
      'task: No task named "no-such-task" in this project',
    );
    await expect(app.tasks.enqueue("no-such-task")).rejects.toThrow(
      'task: No task named "no-such-task" in this project',
    );
  });
});
