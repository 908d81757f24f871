/**
 * Dashboard-like subscribers for the fan-out, memory and soak benchmarks: worker processes that
 * each hold many WebSockets tailing `audit.onAppend` and record every push's delay.
 */
import { log, sleep } from "./config";
import { split, Worker } from "./load";
import type { BenchServer } from "./server";

export interface SubDone {
  started: number;
  errors: number;
  firstError: string;
  received: number[];
  hist: [number, number][];
}

export async function openSubscribers(server: BenchServer, count: number, processes = 4) {
  const per = split(
    Array.from({ length: count }, (_, i) => i),
    processes,
  ).map((g) => g.length);
  const workers = per.map(
    (n) => new Worker({ role: "subscribe", url: server.url, apiKey: server.apiKey, count: n, openTimeoutMs: 20_000 }),
  );
  const ready = await Promise.all(
    workers.map((w) => w.next<{ started: number; errors: number; firstError: string }>("ready")),
  );
  const started = ready.reduce((s, r) => s + r.started, 0);
  const errors = ready.reduce((s, r) => s + r.errors, 0);
  if (errors > 0) log(`${errors} subscribers failed to open: ${ready.find((r) => r.firstError)?.firstError}`);
  return { workers, started };
}

export async function closeSubscribers(workers: Worker[]): Promise<SubDone[]> {
  workers.forEach((w) => w.cmd("stop"));
  // A worker still draining a backlog of pushes answers late; its counts are what it has received.
  const done = await Promise.all(workers.map((w) => w.next<SubDone>("done", 600_000)));
  await Promise.all(workers.map((w) => w.exited));
  return done;
}

export async function waitForDelivery(workers: Worker[], expected: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    workers.forEach((w) => w.cmd("progress"));
    // A worker busy draining a backlog may answer late; that round simply counts as "not yet".
    const progress = await Promise.all(
      workers.map((w) => w.next<{ min: number }>("progress", 5_000).catch(() => ({ min: -1 }))),
    );
    if (progress.every((p) => p.min >= expected)) return;
    await sleep(250);
  }
}
