/**
 * 10. Work: runs queued by an app, claimed for agents waiting on their live connection, completed.
 * Throughput end to end (an app enqueues in bulk, 10 agents take runs with `agent.work`); how soon
 * an idle agent starts a run after `tower.tasks.enqueue` (app and agent in one process, one clock);
 * how late per-second cron fires are made and started by the server's work clock (a sweep every
 * 250 ms). The last two again with 10,000 scheduled tasks (firing yearly) in the project; and the
 * pickup once more while 100 other agents stand by, waiting for work that is not theirs.
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTowerClient, type TowerClient } from "@tower/sdk";
import { log, QUICK, RUNS, sleep } from "../config";
import { names, spawnAll, split, type Worker } from "../load";
import { add, atLeast, atMost } from "../results";
import { cpuMsOf, startServer, type BenchServer } from "../server";
import { percentile } from "../stats";

const B = "10. work";
const THROUGHPUT_RUNS = Number(process.env.BENCH_WORK_RUNS ?? (QUICK ? 2_000 : 10_000));
const AGENTS = 10;
/** Runs each throughput agent holds at once (the most the SDK and server allow). */
const CONCURRENCY = Number(process.env.BENCH_WORK_CONCURRENCY ?? 64);
/** `tasks.enqueueMany` calls of 1,000 runs the app keeps outstanding. */
const ENQUEUE_IN_FLIGHT = Number(process.env.BENCH_WORK_ENQUEUE_IN_FLIGHT ?? 2);
const PICKUP_PER_SECOND = 50;
/** Sparse enough that the agent is idle when each run is queued (its previous run long completed). */
const SPARSE_PER_SECOND = 5;
const PICKUP_SECONDS = QUICK ? 5 : 10;
const PICKUP_WARMUP_SECONDS = 1;
const CRON_TASKS = 10;
const CRON_SECONDS = QUICK ? 10 : 30;
const SCHEDULED_TASKS = Number(process.env.BENCH_WORK_SCHEDULED_TASKS ?? 10_000);
/** Agents waiting for work that is never theirs while the pickup agent is sent its runs. */
const STANDING_BY = 100;

function appClient(server: BenchServer): TowerClient {
  return createTowerClient({ url: server.url, apiKey: server.apiKey });
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/**
 * Where the server's SQLite file lives: the disk (os.tmpdir(), as shipped), or tmpfs, where the
 * fsync of each commit (the server runs `synchronous = FULL`) costs nothing: not a configuration
 * anyone ships, a measure of what the disk's flushes cost.
 */
type Storage = "disk" | "tmpfs";
const TMPFS = "/dev/shm";

async function startOn(storage: Storage, label: string): Promise<BenchServer> {
  if (storage === "disk") return startServer(label);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = TMPFS; // os.tmpdir(), where startServer makes the server's directory
  try {
    return await startServer(`${label}-tmpfs`);
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}

/**
 * Commits per second one connection makes on this machine's disk with the server's pragmas (WAL,
 * `synchronous = FULL`: each commit waits for its fsync): the ceiling of any path that commits once
 * per step, on the event loop.
 */
function diskCommitsPerSecond(): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-bench-fsync-"));
  const db = new Database(path.join(dir, "commits.sqlite"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    const commit = db.transaction(() => insert.run("x".repeat(500)));
    const began = performance.now();
    let n = 0;
    while (performance.now() - began < 2_000) {
      commit();
      n++;
    }
    return n / ((performance.now() - began) / 1000);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `count` runs enqueued in bulk and completed by 10 agents; runs/s from the first enqueue to the last completion. */
export async function measureThroughput(storage: Storage = "disk") {
  const server = await startOn(storage, "work-throughput");
  const workers: Worker[] = [];
  const app = appClient(server);
  const db = new Database(server.dbPath, { readonly: true, fileMustExist: true });
  try {
    const task = "bench-throughput";
    await app.api.task.create.mutate({ name: task, target: { kind: "role", value: "worker" } });
    const agents = names("worker", AGENTS);
    workers.push(
      ...(await spawnAll(
        split(agents, 2).map((group) => ({
          role: "workers" as const,
          url: server.url,
          apiKey: server.apiKey,
          agents: group,
          concurrency: CONCURRENCY,
        })),
      )),
    );
    const [enqueuer] = await spawnAll([
      {
        role: "enqueuer",
        url: server.url,
        apiKey: server.apiKey,
        task,
        count: THROUGHPUT_RUNS,
        inFlight: ENQUEUE_IN_FLIGHT,
      },
    ]);
    workers.push(enqueuer!);
    // The enqueuer's warm-up run is taken before the measured ones are queued.
    const succeeded = db.prepare("SELECT count(*) FROM runs WHERE status = 'succeeded'").pluck();
    const ended = db.prepare("SELECT count(*) FROM runs WHERE status NOT IN ('queued', 'leased', 'running')").pluck();
    for (let i = 0; i < 100 && (succeeded.get() as number) < 1; i++) await sleep(50);
    const changes0 = db.prepare("SELECT count(*) FROM changes").pluck().get() as number;
    const audit0 = db.prepare("SELECT count(*) FROM audit_events").pluck().get() as number;
    const cpu0 = server.cpuMs();
    const agentPids = workers.slice(0, -1).map((w) => w.child.pid!);
    const agentsCpu = () => agentPids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
    const agentsCpu0 = agentsCpu();
    const wall0 = Date.now();
    enqueuer!.cmd("go");
    const timeoutMs = 600_000;
    let done = 0;
    for (;;) {
      done = (ended.get() as number) - 1;
      if (done >= THROUGHPUT_RUNS || Date.now() - wall0 > timeoutMs) break;
      await sleep(50);
    }
    const wall = Date.now() - wall0;
    const cpu = server.cpuMs() - cpu0;
    const agentsCpuMs = agentsCpu() - agentsCpu0;
    const enqueued = await enqueuer!.next<{
      began: number;
      ms: number;
      failed: number;
      firstFailure: string;
      cpuMs: number;
    }>("done", 60_000);
    const span = db
      .prepare(
        `SELECT max(finished_at) AS last, count(*) AS n, avg(leased_at - created_at) AS queued,
           avg(finished_at - leased_at) AS held
         FROM runs WHERE status = 'succeeded' AND created_at >= ?`,
      )
      .get(enqueued.began) as { last: number; n: number; queued: number; held: number };
    const failures = db
      .prepare("SELECT error, count(*) AS n FROM runs WHERE status <> 'succeeded' GROUP BY 1 ORDER BY 2 DESC LIMIT 3")
      .all() as { error: string | null; n: number }[];
    for (const f of failures) log(`work: ${f.n} runs did not succeed: ${f.error}`);
    const states = db.prepare("SELECT status, count(*) AS n FROM runs GROUP BY status").all() as {
      status: string;
      n: number;
    }[];
    const changeRows = (db.prepare("SELECT count(*) FROM changes").pluck().get() as number) - changes0;
    const auditRows = (db.prepare("SELECT count(*) FROM audit_events").pluck().get() as number) - audit0;
    workers.forEach((w) => w.cmd("stop"));
    const handled = await Promise.all(
      workers.slice(0, -1).map((w) => w.next<{ handled: number; errors: string[] }>("done", 60_000)),
    );
    const errors = handled.flatMap((h) => h.errors);
    if (enqueued.failed > 0) log(`work: ${enqueued.failed} enqueues failed, first: ${enqueued.firstFailure}`);
    if (errors.length > 0) log(`work: agent errors: ${errors.join(" | ")}`);
    if (done < THROUGHPUT_RUNS) log(`work: only ${done} of ${THROUGHPUT_RUNS} runs ended in ${seconds(wall)} s`);
    const endToEndMs = (span.last ?? Date.now()) - enqueued.began;
    return {
      runsPerSecond: span.n / (endToEndMs / 1000),
      endToEndMs,
      completed: span.n,
      enqueuePerSecond: (THROUGHPUT_RUNS - enqueued.failed) / (enqueued.ms / 1000),
      enqueueMs: enqueued.ms,
      serverCpu: (cpu / wall) * 100, // % of one core
      // CPU per run (µs) of each side, the whole run's: what two cores must fit 15,000 times a second.
      serverUsPerRun: (cpu * 1000) / THROUGHPUT_RUNS,
      agentsUsPerRun: (agentsCpuMs * 1000) / THROUGHPUT_RUNS,
      enqueuerUsPerRun: (enqueued.cpuMs * 1000) / THROUGHPUT_RUNS,
      queuedMs: span.queued,
      heldMs: span.held,
      changesPerRun: changeRows / THROUGHPUT_RUNS,
      auditPerRun: auditRows / THROUGHPUT_RUNS,
      states: states.map((s) => `${s.status} ${s.n}`).join(", "),
    };
  } finally {
    // Told to stop, they exit by themselves (writing a --cpu-prof profile as they go); killed if not.
    await Promise.race([Promise.all(workers.map((w) => w.exited)), sleep(5_000)]);
    workers.forEach((w) => w.kill());
    db.close();
    app.close();
    await server.stop();
  }
}

/** One run at a time at a steady rate to an idle agent: ms from just before the enqueue to the handler starting. */
async function measurePickup(server: BenchServer, app: TowerClient, perSecond: number) {
  const task = `bench-pickup-${perSecond}`;
  const agent = `pickup-agent-${perSecond}`;
  await app.api.task.create.mutate({ name: task, target: { kind: "agent", value: agent } });
  const [worker] = await spawnAll([
    {
      role: "pickup",
      url: server.url,
      apiKey: server.apiKey,
      agent,
      task,
      perSecond,
      warmupSeconds: PICKUP_WARMUP_SECONDS,
      seconds: PICKUP_SECONDS,
    },
  ]);
  try {
    worker!.cmd("go");
    const result = await worker!.next<{
      samples: number[];
      missing: number;
      failed: number;
      firstFailure: string;
      errors: string[];
    }>("done", 120_000);
    if (result.failed > 0) log(`work pickup: ${result.failed} enqueues failed, first: ${result.firstFailure}`);
    if (result.errors.length > 0) log(`work pickup: agent errors: ${result.errors.join(" | ")}`);
    return {
      p50: percentile(result.samples, 50),
      p99: percentile(result.samples, 99),
      max: Math.max(...result.samples),
      n: result.samples.length,
      missing: result.missing,
    };
  } finally {
    await worker!.exited;
  }
}

/**
 * Per-second schedules taken by one agent: how late after its fire time each run was made
 * (`createdAt - scheduledFor`, the server's clock) and started (the handler, same machine's clock).
 */
async function measureCron(server: BenchServer, app: TowerClient) {
  const agent = "cron-agent";
  const [worker] = await spawnAll([
    { role: "workers", url: server.url, apiKey: server.apiKey, agents: [agent], concurrency: 2 * CRON_TASKS },
  ]);
  try {
    const ids: string[] = [];
    for (let i = 0; i < CRON_TASKS; i++) {
      const task = await app.api.task.create.mutate({
        name: `bench-cron-${i}`,
        target: { kind: "agent", value: agent },
        cron: "* * * * * *",
      });
      ids.push(task.id);
    }
    await sleep(CRON_SECONDS * 1000);
    await Promise.all(ids.map((id) => app.api.task.update.mutate({ id, paused: true })));
    await sleep(1_500); // the last fires' runs started
    worker!.cmd("stop");
    const result = await worker!.next<{ handled: number; errors: string[]; created: number[]; started: number[] }>(
      "done",
      60_000,
    );
    if (result.errors.length > 0) log(`work cron: agent errors: ${result.errors.join(" | ")}`);
    const expected = CRON_TASKS * CRON_SECONDS;
    const pick = (values: number[]) => ({
      p50: percentile(values, 50),
      p99: percentile(values, 99),
      max: Math.max(...values),
    });
    return { created: pick(result.created), started: pick(result.started), fires: result.created.length, expected };
  } finally {
    await worker!.exited;
  }
}

/** 10,000 tasks with yearly schedules (spread over the year), created through the API as an operator would. */
async function createScheduledTasks(app: TowerClient, count: number): Promise<number> {
  const began = Date.now();
  const chunk = 1_000;
  for (let from = 0; from < count; from += chunk) {
    await Promise.all(
      Array.from({ length: Math.min(chunk, count - from) }, (_, k) => {
        const i = from + k;
        const cron = `${i % 60} ${Math.floor(i / 60) % 60} ${i % 24} ${1 + (i % 28)} ${1 + (i % 12)} *`;
        return app.api.task.create.mutate({
          name: `yearly-${i}`,
          target: { kind: "agent", value: "nobody" },
          cron,
        });
      }),
    );
  }
  return Date.now() - began;
}

/**
 * Pickup latency while a fleet stands by: `count` other agents connected and waiting for work (as
 * idle agents of a fleet are), none of them the one the runs are for.
 */
async function measurePickupBesideFleet(count: number): Promise<Pickup> {
  const server = await startOn("disk", "work-fleet");
  const app = appClient(server);
  const fleet = await spawnAll(
    split(names("standing-by", count), 2).map((agents) => ({
      role: "workers" as const,
      url: server.url,
      apiKey: server.apiKey,
      agents,
      concurrency: 1,
    })),
  );
  try {
    return await measurePickup(server, app, PICKUP_PER_SECOND);
  } finally {
    fleet.forEach((w) => w.cmd("stop"));
    await Promise.all(fleet.map((w) => w.exited));
    app.close();
    await server.stop();
  }
}

type Pickup = Awaited<ReturnType<typeof measurePickup>>;
type Cron = Awaited<ReturnType<typeof measureCron>>;

/** Pickup latency and cron lateness on a server whose project holds `scheduled` other scheduled tasks. */
async function measureLatencies(
  scheduled: number,
  storage: Storage,
  withCron: boolean,
): Promise<{ pickup: Pickup; sparse: Pickup | null; cron: Cron | null; createMs: number }> {
  const server = await startOn(storage, `work-latency-${scheduled}`);
  const app = appClient(server);
  try {
    const createMs = scheduled > 0 ? await createScheduledTasks(app, scheduled) : 0;
    if (scheduled > 0) {
      log(`work: ${scheduled} scheduled tasks created through the API in ${seconds(createMs)} s`);
      await sleep(1_000);
    }
    const pickup = await measurePickup(server, app, PICKUP_PER_SECOND);
    const sparse = withCron ? await measurePickup(server, app, SPARSE_PER_SECOND) : null;
    const cron = withCron ? await measureCron(server, app) : null;
    return { pickup, sparse, cron, createMs };
  } finally {
    app.close();
    await server.stop();
  }
}

const ms = (n: number) => n.toFixed(n < 10 ? 2 : 0);

function logThroughput(run: number, t: Awaited<ReturnType<typeof measureThroughput>>, storage: Storage) {
  log(
    `work run ${run}${storage === "tmpfs" ? " (SQLite on tmpfs)" : ""}: ${t.completed} runs enqueued → claimed → completed in ${seconds(t.endToEndMs)} s: ${t.runsPerSecond.toFixed(0)} runs/s; enqueue alone ${t.enqueuePerSecond.toFixed(0)} runs/s (${seconds(t.enqueueMs)} s); server CPU ${t.serverCpu.toFixed(0)} % of a core; CPU per run: server ${t.serverUsPerRun.toFixed(0)} µs, agents ${t.agentsUsPerRun.toFixed(0)} µs, enqueuer ${t.enqueuerUsPerRun.toFixed(0)} µs; ${t.changesPerRun.toFixed(2)} change rows and ${t.auditPerRun.toFixed(2)} audit rows per run; on average ${t.queuedMs.toFixed(0)} ms queued (created → leased), ${t.heldMs.toFixed(0)} ms held (leased → completed); runs: ${t.states}`,
  );
}

export async function benchWork() {
  log(`work: ${os.cpus().length} cores; ${THROUGHPUT_RUNS} runs, ${AGENTS} agents × concurrency ${CONCURRENCY}`);
  for (let run = 1; run <= RUNS; run++) {
    // Two cores shared with whatever else the machine runs: its load says how far to trust the rest.
    const load0 = os.loadavg()[0]!;
    const began = Date.now();
    const commits = diskCommitsPerSecond();
    log(`work run ${run}: this disk takes ${commits.toFixed(0)} commits/s (WAL, synchronous = FULL, one connection)`);
    add(B, "SQLite commits/s on this disk (WAL, synchronous = FULL), for reference", "commits/s", commits);

    const t = await measureThroughput("disk");
    logThroughput(run, t, "disk");
    add(
      B,
      `runs completed end to end (enqueue → claim → complete), ${AGENTS} agents`,
      "runs/s",
      t.runsPerSecond,
      atLeast(15_000, "runs/s"),
    );
    add(B, "runs enqueued (tasks.enqueueMany, while agents take them)", "runs/s", t.enqueuePerSecond);
    add(B, "server CPU during the throughput run", "% of a core", t.serverCpu);
    // 15,000 runs/s on 2 cores leaves 133 µs of CPU per run for all three sides together.
    add(B, "CPU per run: the server", "µs", t.serverUsPerRun);
    add(B, "CPU per run: the 10 agents (SDK, agent.work)", "µs", t.agentsUsPerRun);
    add(B, "CPU per run: the enqueuing app (SDK, enqueueMany)", "µs", t.enqueuerUsPerRun);
    add(B, "change-feed rows per run (enqueue → complete)", "rows", t.changesPerRun);
    add(B, "runs not succeeded in the throughput run (lease lapsed)", "runs", THROUGHPUT_RUNS - t.completed);
    // What is left when a commit's fsync is free: the server's own work per run.
    const tt = await measureThroughput("tmpfs");
    logThroughput(run, tt, "tmpfs");
    add(B, `runs completed end to end, ${AGENTS} agents, SQLite on tmpfs (no fsync cost)`, "runs/s", tt.runsPerSecond);
    add(B, "server CPU during the throughput run, SQLite on tmpfs", "% of a core", tt.serverCpu);

    for (const scheduled of [0, SCHEDULED_TASKS]) {
      const { pickup, sparse, cron, createMs } = await measureLatencies(scheduled, "disk", true);
      const with_ = scheduled > 0 ? `, ${scheduled.toLocaleString("en-US")} scheduled tasks` : "";
      log(
        `work run ${run}${with_ || ", no other tasks"}: enqueue → start p50 ${ms(pickup.p50)} p99 ${ms(pickup.p99)} max ${ms(pickup.max)} ms (${pickup.n} runs at ${PICKUP_PER_SECOND}/s, ${pickup.missing} never started); cron fire → created p50 ${ms(cron!.created.p50)} p99 ${ms(cron!.created.p99)} max ${ms(cron!.created.max)} ms, → started p50 ${ms(cron!.started.p50)} p99 ${ms(cron!.started.p99)} max ${ms(cron!.started.max)} ms (${cron!.fires} fires of ~${cron!.expected})`,
      );
      add(B, `enqueue → idle agent starts it p50 (${PICKUP_PER_SECOND}/s${with_})`, "ms", pickup.p50, atMost(5, "ms"));
      add(B, `enqueue → idle agent starts it p99 (${PICKUP_PER_SECOND}/s${with_})`, "ms", pickup.p99, atMost(50, "ms"));
      log(
        `work run ${run}${with_ || ", no other tasks"}: enqueue → start at ${SPARSE_PER_SECOND}/s p50 ${ms(sparse!.p50)} p99 ${ms(sparse!.p99)} max ${ms(sparse!.max)} ms (${sparse!.n} runs)`,
      );
      add(B, `enqueue → idle agent starts it p50 (${SPARSE_PER_SECOND}/s${with_})`, "ms", sparse!.p50);
      add(B, `enqueue → idle agent starts it p99 (${SPARSE_PER_SECOND}/s${with_})`, "ms", sparse!.p99);
      const c = cron!;
      const label = `${CRON_TASKS} per-second tasks${with_}`;
      add(B, `cron fire → run created p50 (${label})`, "ms", c.created.p50);
      add(B, `cron fire → run created p99 (${label})`, "ms", c.created.p99);
      add(B, `cron fire → run created max (${label})`, "ms", c.created.max, atMost(1_000, "ms"));
      add(B, `cron fire → handler started p50 (${label})`, "ms", c.started.p50);
      add(B, `cron fire → handler started p99 (${label})`, "ms", c.started.p99);
      add(B, `cron fire → handler started max (${label})`, "ms", c.started.max, atMost(1_000, "ms"));
      add(B, `cron fires made (of ~${c.expected}) (${label})`, "fires", c.fires);
      if (scheduled > 0)
        add(B, `${scheduled.toLocaleString("en-US")} scheduled tasks created through the API`, "s", createMs / 1000);
    }
    const { pickup } = await measureLatencies(0, "tmpfs", false);
    log(
      `work run ${run} (SQLite on tmpfs): enqueue → start p50 ${ms(pickup.p50)} p99 ${ms(pickup.p99)} max ${ms(pickup.max)} ms`,
    );
    add(B, `enqueue → idle agent starts it p50 (${PICKUP_PER_SECOND}/s), SQLite on tmpfs`, "ms", pickup.p50);
    add(B, `enqueue → idle agent starts it p99 (${PICKUP_PER_SECOND}/s), SQLite on tmpfs`, "ms", pickup.p99);
    const besideFleet = await measurePickupBesideFleet(STANDING_BY);
    log(
      `work run ${run}, ${STANDING_BY} other agents waiting: enqueue → start p50 ${ms(besideFleet.p50)} p99 ${ms(besideFleet.p99)} max ${ms(besideFleet.max)} ms (${besideFleet.n} runs, ${besideFleet.missing} never started)`,
    );
    const fleetLabel = `${PICKUP_PER_SECOND}/s, ${STANDING_BY} other agents waiting`;
    add(B, `enqueue → idle agent starts it p50 (${fleetLabel})`, "ms", besideFleet.p50, atMost(5, "ms"));
    add(B, `enqueue → idle agent starts it p99 (${fleetLabel})`, "ms", besideFleet.p99, atMost(50, "ms"));
    const load = os.loadavg();
    log(
      `work run ${run}: machine load average ${load0.toFixed(1)} at the start, ${load[0]!.toFixed(1)} (1 min) / ${load[2]!.toFixed(1)} (15 min) after ${seconds(Date.now() - began)} s, on ${os.cpus().length} cores`,
    );
    add(B, "machine load average (15 min) at the end of the work bench", "runnable", load[2]!);
  }
}
