/**
 * Load generator, forked by run.ts so that clients never share the server's CPU. It takes one job
 * per process (a JSON message), answers `{type: "ready"}` when set up, starts on `{cmd: "go"}`,
 * winds down on `{cmd: "stop"}` and ends with `{type: "done", ...figures}`.
 */
import type { AppRouter } from "@tower/api";
import { createTowerClient, type TowerClient } from "@tower/sdk";
import { createTRPCClient, createWSClient, httpLink, wsLink } from "@trpc/client";
import { Agent as httpAgent, request as httpRequest } from "node:http";
import WebSocket from "ws";
import { compact, newHistogram, nowMs, percentile, record } from "./stats";

export type Job =
  | {
      role: "ingest";
      url: string;
      apiKey: string;
      agents: string[];
      perAgent: number;
      metrics?: boolean;
      spreadMs?: number;
    }
  | { role: "flood"; url: string; apiKey: string; agents: string[] }
  | { role: "paced"; url: string; apiKey: string; agents: string[]; perSecond: number; tag: string }
  | { role: "subscribe"; url: string; apiKey: string; count: number; openTimeoutMs: number }
  | { role: "roundtrip"; url: string; apiKey: string; samples: number }
  | { role: "query"; url: string; apiKey: string; samples: number; budgetMs: number; queries: string[] };

const WS = WebSocket as unknown as typeof globalThis.WebSocket;
/** Resolves once the message is written to the IPC channel, so a `process.exit` after it cannot drop it. */
const send = (message: Record<string, unknown>) =>
  new Promise<void>((resolve) => (process.send ? process.send(message, undefined, {}, () => resolve()) : resolve()));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let stopRequested: () => void = () => {};
const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
let goSignal: () => void = () => {};
const go = new Promise<void>((resolve) => (goSignal = resolve));
let isStopped = false;

process.on("message", (message: { cmd?: string; job?: Job }) => {
  if (message.job)
    void run(message.job).catch((error: unknown) => {
      void send({ type: "error", message: (error as Error).stack ?? String(error) }).then(() => process.exit(1));
    });
  if (message.cmd === "go") goSignal();
  if (message.cmd === "stop") {
    isStopped = true;
    stopRequested();
  }
});
process.on("disconnect", () => process.exit(0));
// Every SDK client registers its own exit hook; one process here holds many clients.
process.setMaxListeners(0);

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

/**
 * The same query without a client library's own costs: one kept-alive HTTP GET, and one tRPC
 * message on an open WebSocket (tRPC's wsLink waits a timer turn before sending, to batch: in Node
 * that is at least 1 ms per call).
 */
async function wireClients(job: { url: string; apiKey: string }) {
  const agent = new httpAgent({ keepAlive: true, maxSockets: 1 });
  const path = `/trpc/agent.list?input=${encodeURIComponent(JSON.stringify({ limit: 1 }))}`;
  const http = () =>
    new Promise<unknown>((resolve, reject) => {
      const req = httpRequest(
        `${job.url}${path}`,
        { agent, headers: { authorization: `Bearer ${job.apiKey}` } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { error?: unknown };
            if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${JSON.stringify(body.error)}`));
            else resolve(body);
          });
        },
      );
      req.on("error", reject);
      req.end();
    });
  const socket = new WebSocket(`${job.url.replace(/^http/, "ws")}/trpc?connectionParams=1`);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  socket.send(JSON.stringify({ method: "connectionParams", data: { apiKey: job.apiKey } }));
  const waiting = new Map<number, (reply: { error?: unknown }) => void>();
  socket.on("message", (data) => {
    const text = String(data);
    // The server's keep-alive ping is the one message that is not JSON.
    if (text === "PING") return socket.send("PONG");
    const reply = JSON.parse(text) as { id?: number; error?: unknown };
    if (typeof reply.id === "number") waiting.get(reply.id)?.(reply);
  });
  let nextId = 0;
  const ws = () =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++nextId;
      waiting.set(id, (reply) => {
        waiting.delete(id);
        if (reply.error) reject(new Error(JSON.stringify(reply.error)));
        else resolve(reply);
      });
      socket.send(JSON.stringify({ id, method: "query", params: { path: "agent.list", input: { limit: 1 } } }));
    });
  return {
    http,
    ws,
    close: () => {
      socket.close();
      agent.destroy();
    },
  };
}

const SENT_AT = Buffer.from('"sentAt":');

/** The `sentAt` numbers of the paced events in a raw message (detail `{"sentAt":…,"seq":…}`). */
function* sendTimes(message: Buffer): Generator<number> {
  for (let at = message.indexOf(SENT_AT); at !== -1; at = message.indexOf(SENT_AT, at + 1)) {
    let end = at + SENT_AT.length;
    while (end < message.length && message[end] !== 0x2c && message[end] !== 0x7d) end++; // up to , or }
    yield Number(message.toString("latin1", at + SENT_AT.length, end));
  }
}

async function run(job: Job) {
  switch (job.role) {
    case "ingest": {
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
      break;
    }
    case "flood": {
      // Ingest as fast as the server takes it, until told to stop (load for the query benchmark).
      const { clients, handles } = await startAgents(job);
      void send({ type: "ready" });
      await go;
      let sent = 0;
      const started = nowMs();
      while (!isStopped) {
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
      break;
    }
    case "paced": {
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
      while (!isStopped) {
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
      break;
    }
    case "subscribe": {
      // `count` dashboard-like subscribers, each on its own WebSocket, tailing audit.onAppend.
      const hist = newHistogram();
      const received = new Array<number>(job.count).fill(0);
      let started = 0;
      let errors = 0;
      let closed = 0;
      let firstError = "";
      const closers: (() => void)[] = [];
      const wsUrl = job.url.replace(/^http/, "ws") + "/trpc";
      const openOne = (index: number) =>
        new Promise<void>((resolve) => {
          let settled = false;
          const done = () => {
            if (!settled) {
              settled = true;
              resolve();
            }
          };
          const fail = (error: unknown) => {
            errors++;
            firstError ||= String((error as Error)?.message ?? error);
            done();
          };
          try {
            // A lean dashboard: one tRPC subscription on a raw socket, and each message scanned for
            // the rows' send times instead of parsed into objects. 1,000 subscribers here share two
            // cores with the server; parsing ~450 MB/s of JSON would measure this process, not Tower.
            const socket = new WebSocket(`${wsUrl}?connectionParams=1`);
            let subscribed = false;
            socket.once("open", () => {
              socket.send(JSON.stringify({ method: "connectionParams", data: { apiKey: job.apiKey } }));
              socket.send(
                JSON.stringify({
                  id: 1,
                  method: "subscription",
                  params: { path: "audit.onAppend", input: { lastEventId: null } },
                }),
              );
            });
            socket.on("message", (data: Buffer) => {
              if (data.length === 4 && data.toString() === "PING") return socket.send("PONG");
              const now = nowMs();
              if (!subscribed) {
                if (data.includes('"type":"started"')) {
                  subscribed = true;
                  started++;
                  done();
                } else if (data.includes('"error"')) fail(new Error(data.toString().slice(0, 300)));
                return;
              }
              for (const sentAt of sendTimes(data)) {
                received[index]!++;
                record(hist, now - sentAt);
              }
            });
            socket.on("error", fail);
            socket.on("close", (code) => {
              closed++;
              firstError ||= `socket closed (${code})`;
            });
            closers.push(() => socket.close());
          } catch (error) {
            fail(error);
          }
          setTimeout(done, job.openTimeoutMs).unref();
        });
      for (let i = 0; i < job.count; i += 100) {
        await Promise.all(Array.from({ length: Math.min(100, job.count - i) }, (_, k) => openOne(i + k)));
        if (errors > 0 && started === 0) break;
      }
      void send({ type: "ready", started, errors, firstError });
      process.on("message", (message: { cmd?: string }) => {
        if (message.cmd === "progress") void send({ type: "progress", min: Math.min(...received) });
      });
      // Raw sockets that all closed would leave nothing to keep this process up until it reports.
      const alive = setInterval(() => {}, 60_000);
      await stopped;
      clearInterval(alive);
      await send({ type: "done", started, errors, firstError, received, closed, hist: compact(hist) });
      for (const close of closers) close();
      await sleep(200);
      process.exit(0);
      break;
    }
    case "roundtrip": {
      const http = createTRPCClient<AppRouter>({
        links: [httpLink({ url: `${job.url}/trpc`, headers: { authorization: `Bearer ${job.apiKey}` } })],
      });
      const wsClient = createWSClient({
        url: job.url.replace(/^http/, "ws") + "/trpc",
        WebSocket: WS,
        connectionParams: { apiKey: job.apiKey },
      });
      const ws = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
      const measure = async (call: () => Promise<unknown>) => {
        for (let i = 0; i < Math.min(500, job.samples); i++) await call();
        const samples: number[] = [];
        for (let i = 0; i < job.samples; i++) {
          const t = performance.now();
          await call();
          samples.push(performance.now() - t);
        }
        return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
      };
      const wire = await wireClients(job);
      void send({ type: "ready" });
      await go;
      const httpResult = await measure(() => http.agent.list.query({ limit: 1 }));
      const wsResult = await measure(() => ws.agent.list.query({ limit: 1 }));
      const httpWire = await measure(wire.http);
      const wsWire = await measure(wire.ws);
      await send({ type: "done", http: httpResult, ws: wsResult, httpWire, wsWire });
      wire.close();
      await wsClient.close();
      process.exit(0);
      break;
    }
    case "query": {
      const http = createTRPCClient<AppRouter>({
        links: [httpLink({ url: `${job.url}/trpc`, headers: { authorization: `Bearer ${job.apiKey}` } })],
      });
      const dayAgo = Date.now() - 86_400_000;
      const calls: Record<string, () => Promise<unknown>> = {
        "metrics.overview": () => http.metrics.overview.query({}),
        "metrics.aggregate (24 hourly buckets)": () =>
          http.metrics.aggregate.query({ bucket: "hour", from: dayAgo, to: Date.now() }),
        "audit.list (operation + decision filter, 50)": () =>
          http.audit.list.query({ limit: 50, operation: "api_call", decision: "denied" }),
        "agent.list (page of 50)": () => http.agent.list.query({ limit: 50 }),
      };
      void send({ type: "ready" });
      await go;
      const out: Record<string, { p50: number; p95: number; n: number }> = {};
      for (const name of job.queries) {
        const fn = calls[name]!;
        for (let i = 0; i < 3; i++) await fn();
        const samples: number[] = [];
        // Up to `samples` calls, but stop after `budgetMs` (at least 10 calls) so slow queries stay bounded.
        const deadline = performance.now() + job.budgetMs;
        for (let i = 0; i < job.samples && (i < 10 || performance.now() < deadline); i++) {
          const t = performance.now();
          await fn();
          samples.push(performance.now() - t);
        }
        out[name] = { p50: percentile(samples, 50), p95: percentile(samples, 95), n: samples.length };
      }
      await send({ type: "done", results: out });
      process.exit(0);
      break;
    }
  }
}
