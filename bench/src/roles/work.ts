/**
 * Roles for the work benchmark (benches/work.ts), all through the SDK as apps and agents use it:
 * `workers` (agents taking runs with `agent.work`, each handler returning at once; for scheduled
 * runs it records how late each fire was made and started), `enqueuer` (an app queuing runs in
 * bulk with `tower.tasks.enqueueMany`) and `pickup` (an app and an idle agent in one process, so both
 * read one clock: each run timed from just before its enqueue to its handler starting).
 */
import { createTowerClient, type RunContext, type TowerClient } from "@tower/sdk";
import WebSocket from "ws";
import { go, send, sleep, stopped, type Job } from "../worker-ipc";

const WS = WebSocket as unknown as typeof globalThis.WebSocket;
const profile = { role: "worker", category: "bench" };

const client = (job: { url: string; apiKey: string }): TowerClient =>
  createTowerClient({ url: job.url, apiKey: job.apiKey, WebSocket: WS });

export async function workers(job: Extract<Job, { role: "workers" }>) {
  // One client (one WebSocket, one HTTP pool) per agent, as separate agent processes would have.
  const clients = job.agents.map(() => client(job));
  const handles = job.agents.map((name, i) => clients[i]!.agent(name, { profile }));
  await Promise.all(handles.map((h) => h.start()));
  let handled = 0;
  const errors: string[] = [];
  /** Scheduled runs only: ms from the fire time to the run's creation, and to its handler starting. */
  const created: number[] = [];
  const started: number[] = [];
  const handler = (run: RunContext) => {
    const at = Date.now();
    handled++;
    if (run.run.scheduledFor !== null) {
      created.push(run.run.createdAt - run.run.scheduledFor);
      started.push(at - run.run.scheduledFor);
    }
    return null;
  };
  for (const h of handles) {
    h.on("error", (error) => void (errors.length < 5 && errors.push(error.message)));
    h.work(handler, { concurrency: job.concurrency });
  }
  // Waiting for runs from here on (the assignment streams open with the first subscription).
  await sleep(300);
  void send({ type: "ready" });
  await stopped;
  await send({ type: "done", handled, errors, created, started });
  await Promise.all(clients.map((c) => c.shutdown()));
  process.exit(0);
}

export async function enqueuer(job: Extract<Job, { role: "enqueuer" }>) {
  const app = client(job);
  await app.tasks.enqueue(job.task, { warmup: true }); // the HTTP connection open, the procedure warm
  void send({ type: "ready" });
  await go;
  const began = Date.now();
  const cpu0 = process.cpuUsage();
  let failed = 0;
  let firstFailure = "";
  // In bulk, as an app queuing many runs at once does: `tasks.enqueueMany` sends 1,000 runs a call
  // (one transaction each on the server), `inFlight` calls at once.
  const BULK = 1_000;
  let next = 0;
  const lane = async () => {
    while (next < job.count) {
      const from = next;
      next = Math.min(job.count, next + BULK);
      const inputs = Array.from({ length: next - from }, (_, k) => ({ i: from + k }));
      await app.tasks.enqueueMany(job.task, inputs).catch((error: unknown) => {
        failed += inputs.length;
        firstFailure ||= String(error);
      });
    }
  };
  await Promise.all(Array.from({ length: job.inFlight }, lane));
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  await send({ type: "done", began, ms: Date.now() - began, failed, firstFailure, cpuMs });
  app.close();
  process.exit(0);
}

export async function pickup(job: Extract<Job, { role: "pickup" }>) {
  const agentClient = client(job);
  const app = client(job);
  const agent = agentClient.agent(job.agent, { profile });
  await agent.start();
  /** performance.now() just before each enqueue, by sequence number. */
  const sentAt = new Map<number, number>();
  const samples: number[] = [];
  const errors: string[] = [];
  let measuredFrom = Number.POSITIVE_INFINITY;
  let waiting: (() => void) | undefined;
  agent.on("error", (error) => void (errors.length < 5 && errors.push(error.message)));
  agent.work(
    (run) => {
      const at = performance.now();
      const seq = run.input.seq as number;
      const t0 = sentAt.get(seq);
      if (t0 !== undefined && seq >= measuredFrom) samples.push(at - t0);
      sentAt.delete(seq);
      if (sentAt.size === 0) waiting?.();
      return null;
    },
    { concurrency: 1 },
  );
  await sleep(200); // the assignment stream open before the first run is queued
  void send({ type: "ready" });
  await go;
  const warmup = job.perSecond * job.warmupSeconds;
  const total = warmup + job.perSecond * job.seconds;
  measuredFrom = warmup;
  let failed = 0;
  let firstFailure = "";
  const start = performance.now();
  for (let seq = 0; seq < total; seq++) {
    const due = start + (seq * 1000) / job.perSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    sentAt.set(seq, performance.now());
    app.tasks.enqueue(job.task, { seq }).catch((error: unknown) => {
      failed++;
      firstFailure ||= String(error);
      sentAt.delete(seq);
    });
  }
  // Every run started (or 10 s more, and the missing ones are reported).
  if (sentAt.size > 0) await Promise.race([new Promise<void>((resolve) => (waiting = resolve)), sleep(10_000)]);
  await send({ type: "done", samples, missing: sentAt.size, failed, firstFailure, errors });
  await Promise.all([agentClient.shutdown(), app.shutdown()]);
  process.exit(0);
}
