/**
 * Roles that report through the SDK: `ingest` (a fixed number of events as fast as acknowledged),
 * `flood` (as fast as the server takes them, until stopped) and `paced` (a steady rate, each event
 * carrying its send time).
 */
import { createTowerClient, type TowerClient } from "@tower/sdk";
import WebSocket from "ws";
import { compact, newHistogram, nowMs, record } from "../stats";
import { go, isStopped, send, sleep, stopped, type Job } from "../worker-ipc";

const WS = WebSocket as unknown as typeof globalThis.WebSocket;
const profile = { role: "worker", category: "bench" };
const OPERATIONS = ["tool_use", "api_call", "file_access", "agent_spawn"] as const;
const MODELS = ["gpt-4o", "claude-sonnet", "gpt-4o-mini"] as const;

function sdkClient(job: { url: string; apiKey: string }, maxBuffer = 10_000_000): TowerClient {
  return createTowerClient({
    url: job.url,
    apiKey: job.apiKey,
    WebSocket: WS,
    reporting: { maxBatch: 1_000, flushIntervalMs: 20, maxBuffer },
  });
}

async function startAgents(job: { url: string; apiKey: string; agents: string[] }) {
  const clients = job.agents.map(() => sdkClient(job));
  const handles = job.agents.map((name, i) => clients[i]!.agent(name, { profile }));
  for (let i = 0; i < handles.length; i += 20) await Promise.all(handles.slice(i, i + 20).map((h) => h.start()));
  return { clients, handles };
}

async function drain(clients: TowerClient[]) {
  for (;;) {
    await Promise.all(clients.map((c) => c.reporter.flush()));
    if (clients.every((c) => c.reporter.pending === 0)) return;
    await sleep(10);
  }
}

export async function ingest(job: Extract<Job, { role: "ingest" }>) {
  // Every agent queues its share, then waits until every report is acknowledged (after commit).
  const { clients, handles } = await startAgents(job);
  void send({ type: "ready" });
  await go;
  const started = nowMs();
  const now = Date.now();
  await Promise.all(
    handles.map(async (h, a) => {
      for (let i = 0; i < job.perAgent; i++) {
        const at = job.spreadMs ? now - Math.floor(Math.random() * job.spreadMs) : undefined;
        const op = OPERATIONS[i % OPERATIONS.length]!;
        h.event({
          operation: op,
          target: `tool-${i % 50}`,
          decision: i % 20 === 0 ? "denied" : "allowed",
          at,
          detail: { n: i },
        });
        if (job.metrics) {
          h.metric({
            type: "execution",
            executionMs: 5 + (i % 400),
            success: i % 10 !== 0,
            tokensIn: 100 + (i % 50),
            tokensOut: 20 + (i % 30),
            model: MODELS[(a + i) % MODELS.length],
            at,
          });
        }
        // Yield now and then so batches leave while the rest is still being queued.
        if (i % 1_000 === 999) await new Promise((r) => setImmediate(r));
      }
    }),
  );
  await drain(clients);
  const ms = nowMs() - started;
  const dropped = clients.reduce((sum, c) => sum + c.reporter.dropped, 0);
  const acked = handles.length * job.perAgent * (job.metrics ? 2 : 1) - dropped;
  await send({ type: "done", ms, acked, dropped });
  await Promise.all(clients.map((c) => c.shutdown()));
  process.exit(0);
}

export async function flood(job: Extract<Job, { role: "flood" }>) {
  // Ingest as fast as the server takes it, until told to stop (load for the query benchmark).
  const { clients, handles } = await startAgents(job);
  void send({ type: "ready" });
  await go;
  let sent = 0;
  const started = nowMs();
  while (!isStopped()) {
    handles.forEach((h, a) => {
      for (let i = 0; i < 1_000; i++) {
        h.event({ operation: OPERATIONS[i % 4]!, target: `tool-${i % 50}` });
        h.metric({
          type: "execution",
          executionMs: i % 300,
          success: true,
          tokensIn: 10,
          tokensOut: 5,
          model: MODELS[a % 3],
        });
      }
    });
    sent += handles.length * 2_000;
    await Promise.race([drain(clients), stopped]);
  }
  await drain(clients);
  await send({ type: "done", sent, ms: nowMs() - started });
  await Promise.all(clients.map((c) => c.shutdown()));
  process.exit(0);
}

export async function paced(job: Extract<Job, { role: "paced" }>) {
  // A steady rate of events, each carrying its send time (taken at the ingest call) in `detail`.
  const { clients, handles } = await startAgents(job);
  void send({ type: "ready" });
  await go;
  const api = clients[0]!.api;
  const tickMs = 10;
  const perTick = job.perSecond / (1000 / tickMs);
  let sent = 0;
  let stored = 0;
  let failed = 0;
  const acks = newHistogram();
  const started = nowMs();
  const inFlight = new Set<Promise<void>>();
  let seq = 0;
  while (!isStopped()) {
    const due = Math.floor(((nowMs() - started) / tickMs) * perTick) - sent;
    if (due > 0) {
      const sentAt = nowMs();
      const items = Array.from({ length: due }, () => {
        const h = handles[seq % handles.length]!;
        seq++;
        return {
          kind: "event" as const,
          id: crypto.randomUUID(),
          agent: h.name,
          sessionId: h.session?.id,
          operation: job.tag,
          target: "fanout",
          detail: { sentAt, seq },
        };
      });
      sent += due;
      const p: Promise<void> = api.ingest.report
        .mutate({ items })
        .then(
          (r) => {
            stored += r.stored;
            record(acks, nowMs() - sentAt);
          },
          () => void (failed += items.length),
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await sleep(tickMs);
  }
  await Promise.all(inFlight);
  await send({ type: "done", sent, stored, failed, ms: nowMs() - started, acks: compact(acks) });
  await Promise.all(clients.map((c) => c.shutdown()));
  process.exit(0);
}
