/** Roles that time single calls: `roundtrip` (one small query after another) and `query` (the dashboard's heavy reads). */
import type { AppRouter } from "@tower/api";
import { createTRPCClient, createWSClient, httpLink, wsLink } from "@trpc/client";
import { Agent as httpAgent, request as httpRequest } from "node:http";
import WebSocket from "ws";
import { percentile } from "../stats";
import { go, send, type Job } from "../worker-ipc";

const WS = WebSocket as unknown as typeof globalThis.WebSocket;

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

export async function roundtrip(job: Extract<Job, { role: "roundtrip" }>) {
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
}

export async function query(job: Extract<Job, { role: "query" }>) {
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
}
