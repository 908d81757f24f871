/**
 * `pnpm bench`: starts the real Tower server on a fresh SQLite file per benchmark, drives it from
 * forked worker processes, repeats each measurement BENCH_RUNS times and prints median and spread.
 *
 *   BENCH_QUICK=1          smaller sizes, a 1–2 minute smoke run
 *   BENCH_RUNS=3           repetitions per figure
 *   BENCH_SOAK_SECONDS=600 length of the memory soak (quick: 30)
 *   BENCH_SOAK_SAMPLE_SECONDS=15 how often the soak samples the server's memory (more in benchSoak)
 *   BENCH_RESULTS=path     where the figures go (default bench/results.json)
 *   BENCH_ONLY=ingest,fanout,queries,roundtrip,memory,soak,web,startup   run a subset
 *   BENCH_STARTUP_RUNS=5   server starts per mode, tsx and compiled (quick: 3)
 *   BENCH_SUBSCRIBERS=1000 BENCH_FANOUT_RUNS=1   fan-out size and repetitions
 *   BENCH_INGEST_EVENTS=100000 BENCH_ROWS=1000000   ingest and query-benchmark sizes
 */
import Database from "better-sqlite3";
import { fork, type ChildProcess } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { uuidv7 } from "uuidv7";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, type BenchServer } from "./server";
import { histPercentile, merge, newHistogram, nowMs, summarize } from "./stats";
import { measureStartups, STARTUP_MODES, type StartupMode } from "./startup";
import { analyzeWebBundle, WEB_BUNDLE_TARGET_KB } from "./web-bundle";
import type { Job } from "./worker";

const QUICK = process.env.BENCH_QUICK === "1";
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const ONLY = process.env.BENCH_ONLY?.split(",").map((s) => s.trim());
const SIZES = {
  ingestEvents: Number(process.env.BENCH_INGEST_EVENTS ?? (QUICK ? 20_000 : 100_000)),
  concurrency: [1, 10, 100],
  subscribers: Number(process.env.BENCH_SUBSCRIBERS ?? (QUICK ? 100 : 1_000)),
  fanoutRate: 1_000,
  fanoutSeconds: QUICK ? 5 : 10,
  rows: Number(process.env.BENCH_ROWS ?? (QUICK ? 100_000 : 1_000_000)),
  querySamples: QUICK ? 50 : 200,
  queryBudgetMs: QUICK ? 3_000 : 8_000,
  roundtripSamples: QUICK ? 1_000 : 5_000,
  idleSockets: QUICK ? [100, 1_000] : [1_000, 10_000],
  soakSeconds: Number(process.env.BENCH_SOAK_SECONDS ?? (QUICK ? 30 : 600)),
  soakSubscribers: Number(process.env.BENCH_SOAK_SUBSCRIBERS ?? 100),
  soakRate: Number(process.env.BENCH_SOAK_RATE ?? 200),
  deliveryWaitMs: 30_000,
};
const RESULTS_PATH = process.env.BENCH_RESULTS
  ? path.resolve(process.env.BENCH_RESULTS)
  : fileURLToPath(new URL("../results.json", import.meta.url));
const workerTs = fileURLToPath(new URL("./worker.ts", import.meta.url));
const benchDir = fileURLToPath(new URL("..", import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (...args: unknown[]) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);

// ---------------------------------------------------------------------------------------------
// Figures

interface Target {
  op: ">=" | "<=";
  value: number;
  text: string;
}
interface Figure {
  bench: string;
  name: string;
  unit: string;
  values: number[];
  target?: Target;
  note?: string;
}
const figures: Figure[] = [];

function add(bench: string, name: string, unit: string, value: number, target?: Target, note?: string) {
  let figure = figures.find((f) => f.bench === bench && f.name === name);
  if (!figure) figures.push((figure = { bench, name, unit, values: [], target, note }));
  figure.values.push(value);
  if (note) figure.note = note;
}
const atLeast = (value: number, unit: string): Target => ({
  op: ">=",
  value,
  text: `≥ ${value.toLocaleString("en-US")} ${unit}`,
});
const atMost = (value: number, unit: string): Target => ({
  op: "<=",
  value,
  text: `≤ ${value.toLocaleString("en-US")} ${unit}`,
});

// ---------------------------------------------------------------------------------------------
// Workers

class Worker {
  readonly child: ChildProcess;
  #waiters: { type: string; resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  #inbox: Record<string, unknown>[] = [];
  readonly exited: Promise<void>;

  constructor(job: Job) {
    this.child = fork(workerTs, [], {
      cwd: benchDir,
      // BENCH_WORKER_ARGS passes extra Node flags to the load generators (e.g. "--cpu-prof").
      // The SDK from its sources (as the repo's tests use it), so a bench never measures a stale build.
      execArgv: [
        "--conditions=@tower/source",
        "--import",
        "tsx",
        ...(process.env.BENCH_WORKER_ARGS?.split(" ").filter(Boolean) ?? []),
      ],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        // A worker that is gone will not answer: say so now instead of waiting out the timeout. Its
        // last messages ("done" just before exiting) can still be in the IPC pipe when "exit" comes,
        // so only once the channel has been read to its end.
        const fail = () => {
          clearTimeout(fallback);
          for (const waiter of this.#waiters.splice(0)) {
            waiter.reject(new Error(`worker exited (${signal ?? code}) before sending "${waiter.type}"`));
          }
          resolve();
        };
        const fallback = setTimeout(fail, 5_000);
        if (this.child.connected) this.child.once("disconnect", fail);
        else fail();
      }),
    );
    this.child.on("message", (message: Record<string, unknown>) => {
      if (message.type === "error") {
        log("worker failed:", message.message);
        process.exitCode = 1;
      }
      const i = this.#waiters.findIndex((w) => w.type === message.type);
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(message);
      else this.#inbox.push(message);
    });
    this.child.send({ job });
  }

  next<T = Record<string, unknown>>(type: string, timeoutMs = 600_000): Promise<T> {
    const i = this.#inbox.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.#inbox.splice(i, 1)[0] as T);
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        type,
        resolve: (m: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1); // a late answer must not go to a dead waiter
        reject(new Error(`worker: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  cmd(cmd: string) {
    if (this.child.connected) this.child.send({ cmd });
  }

  kill() {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

async function spawnAll(jobs: Job[]): Promise<Worker[]> {
  const workers = jobs.map((job) => new Worker(job));
  await Promise.all(workers.map((w) => w.next("ready")));
  return workers;
}

function split<T>(items: T[], parts: number): T[][] {
  const out: T[][] = Array.from({ length: parts }, () => []);
  items.forEach((item, i) => out[i % parts]!.push(item));
  return out.filter((part) => part.length > 0);
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

function countRows(server: BenchServer, sql: string): number {
  const db = new Database(server.dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(sql).pluck().get() as number) ?? 0;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Ingest

/** The floor: better-sqlite3 inserting equivalent audit rows in 1,000-row transactions, same pragmas and indexes. */
function rawInsertRate(rows: number): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-bench-raw-"));
  const db = new Database(path.join(dir, "raw.sqlite"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(`CREATE TABLE scratch (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id TEXT NOT NULL, at INTEGER NOT NULL,
    actor_type TEXT NOT NULL, actor_id TEXT, actor_name TEXT NOT NULL, operation TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '', decision TEXT, agent_id TEXT, session_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}', client_id TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
    reported_at INTEGER, seq INTEGER);
    CREATE INDEX scratch_project_id_idx ON scratch (project_id, id);
    CREATE INDEX scratch_session_agent_order_idx ON scratch (session_id, coalesce(reported_at, at), coalesce(seq, 0), id)
      WHERE session_id IS NOT NULL;
    CREATE INDEX scratch_project_at_idx ON scratch (project_id, at);
    CREATE UNIQUE INDEX scratch_project_client_unique ON scratch (project_id, client_id);
    CREATE INDEX scratch_project_operation_decision_idx ON scratch (project_id, operation, decision, id);`);
  const insert = db.prepare(
    `INSERT INTO scratch (project_id, at, actor_type, actor_id, actor_name, operation, target, decision,
      agent_id, session_id, detail, client_id, prev_hash, hash, reported_at, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  const projectId = randomUUID();
  const agentId = randomUUID();
  const sessionId = randomUUID();
  let prev = "0".repeat(64);
  const data = Array.from({ length: rows }, (_, i) => {
    const hash = createHash("sha256").update(`${prev}${i}`).digest("hex");
    const row = [
      projectId,
      Date.now(),
      "agent",
      agentId,
      "agent-0",
      "tool_use",
      `tool-${i % 50}`,
      "allowed",
      agentId,
      sessionId,
      JSON.stringify({ n: i }),
      uuidv7(), // the SDK's report id format
      prev,
      hash,
      Date.now(), // the agent's time and per-session sequence number, as the SDK sends them
      i + 1,
    ];
    prev = hash;
    return row;
  });
  const batch = db.transaction((chunk: unknown[][]) => {
    for (const row of chunk) insert.run(...row);
  });
  const started = nowMs();
  for (let i = 0; i < data.length; i += 1_000) batch(data.slice(i, i + 1_000));
  const seconds = (nowMs() - started) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return rows / seconds;
}

async function benchIngest() {
  const B = "1. ingest";
  for (let run = 1; run <= RUNS; run++) {
    let best = 0;
    for (const agents of SIZES.concurrency) {
      const server = await startServer("ingest");
      try {
        const perAgent = Math.ceil(SIZES.ingestEvents / agents);
        const total = perAgent * agents;
        const workers = await spawnAll(
          split(names("agent", agents), Math.min(4, agents)).map((group) => ({
            role: "ingest" as const,
            url: server.url,
            apiKey: server.apiKey,
            agents: group,
            perAgent,
          })),
        );
        const cpu0 = server.cpuMs();
        const t0 = nowMs();
        workers.forEach((w) => w.cmd("go"));
        const done = await Promise.all(workers.map((w) => w.next<{ acked: number; dropped: number }>("done")));
        const seconds = (nowMs() - t0) / 1000;
        const cpu = (server.cpuMs() - cpu0) / 10 / seconds;
        const acked = done.reduce((s, d) => s + d.acked, 0);
        const storedRows = countRows(server, "SELECT count(*) FROM audit_events WHERE client_id IS NOT NULL");
        if (storedRows !== total || acked !== total)
          log(`ingest ${agents} agents: expected ${total}, acknowledged ${acked}, stored ${storedRows}`);
        const rate = storedRows / seconds;
        best = Math.max(best, rate);
        log(
          `ingest run ${run}, ${agents} agents: ${Math.round(rate)} events/s (${storedRows}/${total} stored, server CPU ${Math.round(cpu)} %)`,
        );
        add(B, `SDK over HTTP, ${agents} agent${agents > 1 ? "s" : ""}`, "events/s", rate, atLeast(50_000, "events/s"));
        add(B, `server CPU, ${agents} agent${agents > 1 ? "s" : ""}`, "% of a core", cpu);
        if (agents === SIZES.concurrency.at(-1))
          add(B, "events stored / sent (last level)", "%", (100 * storedRows) / total, atLeast(100, "%"));
        await Promise.all(workers.map((w) => w.exited));
      } finally {
        await server.stop();
      }
    }
    const raw = rawInsertRate(SIZES.ingestEvents);
    log(`raw better-sqlite3: ${Math.round(raw)} rows/s`);
    add(B, "raw better-sqlite3, 1,000-row transactions", "rows/s", raw);
    add(B, "best SDK rate / raw rate", "%", (100 * best) / raw, atLeast(25, "%"));
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Live fan-out

interface SubDone {
  started: number;
  errors: number;
  firstError: string;
  received: number[];
  hist: [number, number][];
}

async function openSubscribers(server: BenchServer, count: number, processes = 4) {
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

async function closeSubscribers(workers: Worker[]): Promise<SubDone[]> {
  workers.forEach((w) => w.cmd("stop"));
  // A worker still draining a backlog of pushes answers late; its counts are what it has received.
  const done = await Promise.all(workers.map((w) => w.next<SubDone>("done", 600_000)));
  await Promise.all(workers.map((w) => w.exited));
  return done;
}

async function waitForDelivery(workers: Worker[], expected: number, timeoutMs: number) {
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

async function benchFanout() {
  const B = "2. live fan-out";
  const tag = "bench.fanout";
  // When the server cannot keep up, one run takes minutes, so the full run repeats it only once by default.
  const runs = Number(process.env.BENCH_FANOUT_RUNS ?? (QUICK ? RUNS : 1));
  for (let run = 1; run <= runs; run++) {
    const server = await startServer("fanout");
    try {
      const subs = await openSubscribers(server, SIZES.subscribers);
      const [pacer] = await spawnAll([
        {
          role: "paced",
          url: server.url,
          apiKey: server.apiKey,
          agents: names("agent", 10),
          perSecond: SIZES.fanoutRate,
          tag,
        },
      ]);
      const cpu0 = server.cpuMs();
      const t0 = nowMs();
      pacer!.cmd("go");
      await sleep(SIZES.fanoutSeconds * 1000);
      pacer!.cmd("stop");
      const paced = await pacer!.next<{ sent: number; stored: number; failed: number; acks: [number, number][] }>(
        "done",
      );
      const acks = newHistogram();
      merge(acks, paced.acks);
      // Expected: what the database holds (an ingest call that timed out may still have committed).
      const expected = countRows(server, `SELECT count(*) FROM audit_events WHERE operation = '${tag}'`);
      await waitForDelivery(subs.workers, expected, SIZES.deliveryWaitMs);
      const cpu = (server.cpuMs() - cpu0) / 10 / ((nowMs() - t0) / 1000);
      const done = await closeSubscribers(subs.workers);
      const hist = newHistogram();
      let missed = 0;
      let deliveries = 0;
      for (const d of done) {
        merge(hist, d.hist);
        for (const r of d.received) {
          missed += Math.max(0, expected - r);
          deliveries += r;
        }
      }
      // Not delivered within the wait counts as the slowest possible sample, so percentiles never flatter.
      hist[hist.length - 1] = (hist[hist.length - 1] ?? 0) + missed;
      const p = (q: number) => histPercentile(hist, q);
      log(
        `fan-out run ${run}: ${subs.started} subscribers, ${paced.sent} sent, ${paced.stored} acknowledged, ${expected} stored, ${deliveries} deliveries, p50 ${p(50)} p95 ${p(95)} p99 ${p(99)} ms, missed ${missed}, server CPU ${Math.round(cpu)} %, ingest acknowledged p50 ${histPercentile(acks, 50)} p99 ${histPercentile(acks, 99)} ms`,
      );
      const label = `${subs.started.toLocaleString("en-US")} subscribers, ${SIZES.fanoutRate.toLocaleString("en-US")} events/s`;
      add(B, `ingest → subscriber p50 (${label})`, "ms", p(50));
      add(B, `ingest → subscriber p95 (${label})`, "ms", p(95));
      add(B, `ingest → subscriber p99 (${label})`, "ms", p(99), atMost(50, "ms"));
      add(
        B,
        "events missed (not received 30 s after ingest stopped, all subscribers)",
        "events",
        missed,
        atMost(0, "events"),
      );
      add(B, "ingest call → acknowledged after commit p50", "ms", histPercentile(acks, 50));
      add(B, "ingest call → acknowledged after commit p99", "ms", histPercentile(acks, 99));
      add(B, "deliveries per second achieved", "messages/s", deliveries / ((nowMs() - t0) / 1000));
      add(
        B,
        "ingest calls acknowledged / events sent",
        "%",
        (100 * paced.stored) / Math.max(1, paced.sent),
        atLeast(100, "%"),
      );
      add(B, "subscribers connected", "sockets", subs.started, atLeast(SIZES.subscribers, "sockets"));
      add(B, "server CPU during fan-out", "% of a core", cpu);
      await pacer!.exited;
    } finally {
      await server.stop();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Queries at scale

const QUERY_NAMES = [
  "metrics.overview",
  "metrics.aggregate (24 hourly buckets)",
  "audit.list (operation + decision filter, 50)",
  "agent.list (page of 50)",
];

async function measureQueries(server: BenchServer) {
  const [worker] = await spawnAll([
    {
      role: "query",
      url: server.url,
      apiKey: server.apiKey,
      samples: SIZES.querySamples,
      budgetMs: SIZES.queryBudgetMs,
      queries: QUERY_NAMES,
    },
  ]);
  worker!.cmd("go");
  const done = await worker!.next<{ results: Record<string, { p50: number; p95: number }> }>("done");
  await worker!.exited;
  return done.results;
}

async function benchQueries() {
  const B = "3. queries at scale";
  const server = await startServer("queries");
  try {
    // Loaded through the real ingest path (SDK, 1,000-item batches), spread over the last 24 hours.
    const agents = 20;
    const perAgent = Math.ceil(SIZES.rows / agents);
    const workers = await spawnAll(
      split(names("agent", agents), 4).map((group) => ({
        role: "ingest" as const,
        url: server.url,
        apiKey: server.apiKey,
        agents: group,
        perAgent,
        metrics: true,
        spreadMs: 86_400_000,
      })),
    );
    const t0 = nowMs();
    workers.forEach((w) => w.cmd("go"));
    await Promise.all(workers.map((w) => w.next("done", 3_600_000)));
    const loadSeconds = (nowMs() - t0) / 1000;
    const events = countRows(server, "SELECT count(*) FROM audit_events");
    const metrics = countRows(server, "SELECT count(*) FROM metrics");
    log(`queries: loaded ${events} audit rows and ${metrics} metrics in ${loadSeconds.toFixed(1)} s`);
    add(B, "audit rows stored", "rows", events);
    add(B, "metrics stored", "rows", metrics);
    add(B, "load rate (events + metrics through ingest)", "items/s", (perAgent * agents * 2) / loadSeconds);
    for (let run = 1; run <= RUNS; run++) {
      const idle = await measureQueries(server);
      const flood = await spawnAll(
        split(names("flood", 4), 2).map((group) => ({
          role: "flood" as const,
          url: server.url,
          apiKey: server.apiKey,
          agents: group,
        })),
      );
      flood.forEach((w) => w.cmd("go"));
      await sleep(2_000);
      const cpu0 = server.cpuMs();
      const t1 = nowMs();
      const loaded = await measureQueries(server);
      const cpu = (server.cpuMs() - cpu0) / 10 / ((nowMs() - t1) / 1000);
      flood.forEach((w) => w.cmd("stop"));
      const floodDone = await Promise.all(flood.map((w) => w.next<{ sent: number; ms: number }>("done")));
      const floodRate = floodDone.reduce((s, d) => s + d.sent / (d.ms / 1000), 0);
      for (const name of QUERY_NAMES) {
        add(B, `${name} p50, idle`, "ms", idle[name]!.p50);
        add(B, `${name} p95, idle`, "ms", idle[name]!.p95, atMost(50, "ms"));
        add(B, `${name} p50, during ingest`, "ms", loaded[name]!.p50);
        add(B, `${name} p95, during ingest`, "ms", loaded[name]!.p95, atMost(50, "ms"));
      }
      add(B, "concurrent ingest rate while querying", "items/s", floodRate);
      add(B, "server CPU while querying during ingest", "% of a core", cpu);
      log(
        `queries run ${run}: idle ${JSON.stringify(idle)} loaded ${JSON.stringify(loaded)} (ingest ${Math.round(floodRate)} items/s)`,
      );
      await Promise.all(flood.map((w) => w.exited));
    }
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Round trip

async function benchRoundtrip() {
  const B = "4. round trip";
  for (let run = 1; run <= RUNS; run++) {
    const server = await startServer("roundtrip");
    try {
      const [worker] = await spawnAll([
        { role: "roundtrip", url: server.url, apiKey: server.apiKey, samples: SIZES.roundtripSamples },
      ]);
      worker!.cmd("go");
      type Figures = { p50: number; p99: number };
      const r = await worker!.next<{ http: Figures; ws: Figures; httpWire: Figures; wsWire: Figures }>("done");
      const show = (f: Figures) => `p50 ${f.p50.toFixed(3)} p99 ${f.p99.toFixed(3)}`;
      log(
        `round trip run ${run}: tRPC client http ${show(r.http)}, ws ${show(r.ws)}; wire http ${show(r.httpWire)}, ws ${show(r.wsWire)} ms`,
      );
      add(B, "agent.list {limit:1} over HTTP, tRPC client p50", "ms", r.http.p50, atMost(1, "ms"));
      add(B, "agent.list {limit:1} over HTTP, tRPC client p99", "ms", r.http.p99);
      add(B, "agent.list {limit:1} over WebSocket, tRPC client p50", "ms", r.ws.p50, atMost(1, "ms"));
      add(B, "agent.list {limit:1} over WebSocket, tRPC client p99", "ms", r.ws.p99);
      add(B, "agent.list {limit:1} over HTTP, plain request p50", "ms", r.httpWire.p50, atMost(1, "ms"));
      add(B, "agent.list {limit:1} over HTTP, plain request p99", "ms", r.httpWire.p99);
      add(B, "agent.list {limit:1} over WebSocket, one message p50", "ms", r.wsWire.p50, atMost(1, "ms"));
      add(B, "agent.list {limit:1} over WebSocket, one message p99", "ms", r.wsWire.p99);
      await worker!.exited;
    } finally {
      await server.stop();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 5. Memory

async function benchMemory() {
  const B = "5. memory";
  for (let run = 1; run <= RUNS; run++) {
    const server = await startServer("memory");
    const open: Worker[] = [];
    try {
      await sleep(2_000);
      const idle = server.rssKb();
      add(B, "server RSS idle", "MB", idle / 1024);
      let connected = 0;
      for (const level of SIZES.idleSockets) {
        const more = level - connected;
        const subs = await openSubscribers(server, more, 4);
        open.push(...subs.workers);
        connected += subs.started;
        await sleep(3_000);
        const rss = server.rssKb();
        const perConn = (rss - idle) / Math.max(1, connected);
        log(
          `memory run ${run}: ${connected}/${level} idle subscribed sockets, RSS ${Math.round(rss / 1024)} MB, ${perConn.toFixed(1)} KB each`,
        );
        add(B, `server RSS, ${level.toLocaleString("en-US")} idle subscribed WebSockets`, "MB", rss / 1024);
        add(
          B,
          `KB per idle subscribed WebSocket (at ${level.toLocaleString("en-US")})`,
          "KB",
          perConn,
          atMost(50, "KB"),
        );
        add(
          B,
          `WebSockets reached (of ${level.toLocaleString("en-US")})`,
          "sockets",
          connected,
          atLeast(level, "sockets"),
        );
        if (connected < level) break;
      }
    } finally {
      await closeSubscribers(open).catch(() => open.forEach((w) => w.kill()));
      await server.stop();
    }
  }
}

/** One sample of the server's memory during the soak, in MB; `t` in seconds since ingest began. */
interface SoakSample {
  t: number;
  rss: number;
  /** RSS split: anonymous memory (JS heap, malloc) and file-backed or shared pages (code, mapped files). */
  rssAnon: number;
  rssFile: number;
  /** The main thread's JS heap. */
  heapUsed: number;
  heapTotal: number;
  /** Heap in use just after the latest full GC (about the live heap); NaN before the first. */
  heapAfterFullGc: number;
  /** The same, summed over the worker threads (the ingest writer); 0 when there are none. */
  workerHeapUsed: number;
  workerHeapTotal: number;
  workerHeapAfterFullGc: number;
  external: number;
  arrayBuffers: number;
}
const soakTrajectories: { label: string; sampleSeconds: number; samples: SoakSample[] }[] = [];
const MB = 1024 * 1024;

/**
 * Growth over the soak's second half, from a least-squares line through its samples (a single late
 * sample lands anywhere on the GC sawtooth): slope × the half's length, in MB.
 */
function secondHalfGrowth(samples: SoakSample[], pick: (s: SoakSample) => number, midT: number): number {
  const half = samples.filter((s) => s.t >= midT && Number.isFinite(pick(s)));
  if (half.length < 3) return Number.NaN;
  const n = half.length;
  const mt = half.reduce((a, s) => a + s.t, 0) / n;
  const mv = half.reduce((a, s) => a + pick(s), 0) / n;
  const cov = half.reduce((a, s) => a + (s.t - mt) * (pick(s) - mv), 0);
  const vt = half.reduce((a, s) => a + (s.t - mt) ** 2, 0);
  return (cov / vt) * (half.at(-1)!.t - half[0]!.t);
}

const signed = (n: number, digits = 1) => `${n >= 0 ? "+" : ""}${n.toFixed(digits)}`;

/**
 * Ingest at a steady rate to live audit subscribers for BENCH_SOAK_SECONDS while the server's memory
 * is sampled (RSS from /proc, the JS heap through server-probe.ts). A server is stable when RSS stops
 * rising, but RSS swings by about ±15 % with the GC cycle, so two single samples cannot tell: besides
 * RSS after the warm-up, half-way, at the end and at its peak, the figures compare the median of each
 * half and fit a line through the second half, for RSS and for what it is made of (the JS heaps of
 * all threads just after full GCs, about the live heap; and everything outside the JS heaps: code,
 * SQLite, sockets).
 * Every sample goes to results.json (`soak`).
 */
async function benchSoak() {
  const B = "5. memory";
  const tag = "bench.soak";
  // BENCH_SOAK_SAMPLE_SECONDS: how often the server's memory is sampled (RSS for the peak every second).
  const sampleMs = Number(process.env.BENCH_SOAK_SAMPLE_SECONDS ?? Math.min(15, SIZES.soakSeconds / 10)) * 1000;
  // Diagnosis only: BENCH_SOAK_GC=1 runs a full GC before each sample (server started with
  // BENCH_SERVER_ARGS=--expose-gc), so heapUsed is the live heap, and BENCH_SOAK_SNAPSHOTS=60,540
  // writes heap snapshots at those seconds into BENCH_SOAK_SNAPSHOT_DIR (default: a temporary
  // folder) to compare. Both disturb RSS (a snapshot adds about 90 MB that stays).
  const gc = process.env.BENCH_SOAK_GC === "1";
  const snapshotAt = (process.env.BENCH_SOAK_SNAPSHOTS ?? "")
    .split(",")
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
  const snapshotDir =
    snapshotAt.length > 0
      ? (process.env.BENCH_SOAK_SNAPSHOT_DIR ?? mkdtempSync(path.join(os.tmpdir(), "tower-soak-heap-")))
      : "";
  if (snapshotDir) mkdirSync(snapshotDir, { recursive: true });
  const server = await startServer("soak");
  try {
    const subs = await openSubscribers(server, SIZES.soakSubscribers);
    const [pacer] = await spawnAll([
      {
        role: "paced",
        url: server.url,
        apiKey: server.apiKey,
        agents: names("agent", 10),
        perSecond: SIZES.soakRate,
        tag,
      },
    ]);
    pacer!.cmd("go");
    const samples: SoakSample[] = [];
    const t0 = Date.now();
    const sample = async () => {
      const m = await server.memory({ gc });
      const parts = server.rssPartsKb();
      const s: SoakSample = {
        t: Math.round((Date.now() - t0) / 100) / 10,
        rss: server.rssKb() / 1024,
        rssAnon: parts.anon / 1024,
        rssFile: (parts.file + parts.shmem) / 1024,
        heapUsed: m.heapUsed / MB,
        heapTotal: m.heapTotal / MB,
        heapAfterFullGc: m.heapAfterFullGc === null ? Number.NaN : m.heapAfterFullGc / MB,
        workerHeapUsed: m.threads.reduce((a, w) => a + w.heapUsed, 0) / MB,
        workerHeapTotal: m.threads.reduce((a, w) => a + w.heapTotal, 0) / MB,
        workerHeapAfterFullGc: m.threads.reduce((a, w) => a + (w.heapAfterFullGc ?? Number.NaN), 0) / MB,
        external: m.external / MB,
        arrayBuffers: m.arrayBuffers / MB,
      };
      samples.push(s);
      return s;
    };
    const total = SIZES.soakSeconds * 1000;
    const warmup = Math.min(30, SIZES.soakSeconds / 5) * 1000;
    let peak = 0;
    let nextSample = 0;
    while (Date.now() - t0 < total) {
      await sleep(Math.max(10, Math.min(1_000, t0 + nextSample - Date.now())));
      const at = Date.now() - t0;
      peak = Math.max(peak, server.rssKb() / 1024);
      if (at >= nextSample) {
        const s = await sample();
        nextSample += sampleMs;
        log(
          `soak ${Math.round(s.t)} s: RSS ${s.rss.toFixed(1)} MB (anon ${s.rssAnon.toFixed(1)}, file ${s.rssFile.toFixed(1)}), heap used ${s.heapUsed.toFixed(1)} / total ${s.heapTotal.toFixed(1)}, after full GC ${s.heapAfterFullGc.toFixed(1)}; worker threads' heaps ${s.workerHeapUsed.toFixed(1)} / ${s.workerHeapTotal.toFixed(1)}, after full GC ${s.workerHeapAfterFullGc.toFixed(1)}; external ${s.external.toFixed(1)} MB`,
        );
      }
      while (snapshotAt.length > 0 && at >= snapshotAt[0]! * 1000) {
        const file = path.join(snapshotDir, `soak-${snapshotAt.shift()}s.heapsnapshot`);
        log(`soak: heap snapshot ${await server.heapSnapshot(file, { gc })}`);
      }
    }
    if (Date.now() - t0 - samples.at(-1)!.t * 1000 > 1_000) await sample(); // the end
    pacer!.cmd("stop");
    await pacer!.next<{ stored: number }>("done");
    const expected = countRows(server, `SELECT count(*) FROM audit_events WHERE operation = '${tag}'`);
    await waitForDelivery(subs.workers, expected, SIZES.deliveryWaitMs);
    const done = await closeSubscribers(subs.workers);
    const missed = done.reduce((s, d) => s + d.received.reduce((m, r) => m + Math.max(0, expected - r), 0), 0);

    const start = samples.find((s) => s.t * 1000 >= warmup) ?? samples[0]!;
    const end = samples.at(-1)!;
    peak = Math.max(peak, ...samples.map((s) => s.rss));
    const growth = (100 * (end.rss - start.rss)) / start.rss;
    const midT = SIZES.soakSeconds / 2;
    const mid = samples.find((s) => s.t >= midT) ?? end;
    const firstHalf = samples.filter((s) => s.t * 1000 >= warmup && s.t < midT).map((s) => s.rss);
    const secondHalf = samples.filter((s) => s.t >= midT).map((s) => s.rss);
    const firstMedian = summarize(firstHalf).median;
    const secondMedian = summarize(secondHalf).median;
    const halves = (100 * (secondMedian - firstMedian)) / firstMedian;
    // Every thread's JS heap, and what RSS holds beside them.
    const heapsUsed = (s: SoakSample) => s.heapUsed + s.workerHeapUsed;
    const heapsTotal = (s: SoakSample) => s.heapTotal + s.workerHeapTotal;
    const heapsAfterFullGc = (s: SoakSample) => s.heapAfterFullGc + s.workerHeapAfterFullGc;
    const outside = (s: SoakSample) => s.rss - heapsTotal(s);
    const rssHalf = secondHalfGrowth(samples, (s) => s.rss, midT);
    const liveHalf = secondHalfGrowth(samples, heapsAfterFullGc, midT);
    const outsideHalf = secondHalfGrowth(samples, outside, midT);
    const label = `${SIZES.soakSeconds} s soak, ${subs.started} subscribers, ${SIZES.soakRate} events/s`;
    const round = (v: number) => Math.round(v * 10) / 10;
    soakTrajectories.push({
      label,
      sampleSeconds: sampleMs / 1000,
      samples: samples.map(
        (s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v)])) as unknown as SoakSample,
      ),
    });

    const every = Math.max(1, Math.round(30_000 / sampleMs));
    const shown = samples.filter((s, i) => i % every === 0 || s === end);
    const columns = ["t (s)", "RSS", "anon", "file", "heaps used", "heaps total", "after full GC", "outside heaps"];
    const cell = (s: SoakSample) =>
      [s.t, s.rss, s.rssAnon, s.rssFile, heapsUsed(s), heapsTotal(s), heapsAfterFullGc(s), outside(s)].map((v, i) =>
        (i === 0 ? String(Math.round(v)) : v.toFixed(1)).padStart(Math.max(6, columns[i]!.length)),
      );
    log(
      `soak: server memory in MB, every ${(every * sampleMs) / 1000} s (all ${samples.length} samples in results.json)\n` +
        [columns.map((c) => c.padStart(Math.max(6, c.length))), ...shown.map(cell)]
          .map((row) => "    " + row.join("  "))
          .join("\n"),
    );
    log(
      `soak: ${SIZES.soakSeconds} s, ${expected} events to ${subs.started} subscribers, RSS ${Math.round(start.rss)} → ${Math.round(mid.rss)} (half-way) → ${Math.round(end.rss)} MB (peak ${Math.round(peak)}); median ${Math.round(firstMedian)} MB in the first half after warm-up, ${Math.round(secondMedian)} MB in the second (${signed(halves)} %, range ${Math.round(Math.min(...secondHalf))}–${Math.round(Math.max(...secondHalf))}); fitted over the second half: RSS ${signed(rssHalf)} MB, JS heaps after full GC ${signed(liveHalf)} MB, outside the JS heaps ${signed(outsideHalf)} MB; missed ${missed}`,
    );
    add(B, `RSS at start (after ${warmup / 1000} s warm-up), ${label}`, "MB", start.rss);
    add(B, `RSS half-way, ${label}`, "MB", mid.rss);
    add(B, `RSS at end, ${label}`, "MB", end.rss);
    add(B, `RSS peak, ${label}`, "MB", peak);
    add(
      B,
      `RSS growth start → end, ${label}`,
      "%",
      growth,
      atMost(10, "%"),
      "stable = within 10 % of the start; two single samples, each anywhere on the GC sawtooth (about ±15 % in a steady state)",
    );
    add(B, `RSS median, first half after warm-up, ${label}`, "MB", firstMedian);
    add(B, `RSS median, second half, ${label}`, "MB", secondMedian);
    add(
      B,
      `RSS growth first half → second half (medians), ${label}`,
      "%",
      halves,
      atMost(10, "%"),
      "median of the second half's samples against the first half's (after warm-up), the same 10 % as start → end but not at the mercy of two single samples: a server still growing has a higher second half; in steady state it measured -1 to +4 %",
    );
    add(
      B,
      `RSS growth over the second half (fitted), ${label}`,
      "MB",
      rssHalf,
      undefined,
      "slope of a least-squares line through the second half's samples × its length; with the GC sawtooth it swings by about ±10 % of RSS in a steady state",
    );
    add(
      B,
      `JS heaps after full GC at end (all threads), ${label}`,
      "MB",
      heapsAfterFullGc(end),
      undefined,
      "each thread's heap in use just after its latest full GC: about the live heap",
    );
    add(
      B,
      `JS heaps after full GC, growth over the second half (fitted), ${label}`,
      "MB",
      liveHalf,
      undefined,
      "a leak of JS objects shows here",
    );
    add(B, `RSS outside the JS heaps (RSS − every heap's total) at end, ${label}`, "MB", outside(end));
    add(
      B,
      `RSS outside the JS heaps, growth over the second half (fitted), ${label}`,
      "MB",
      outsideHalf,
      undefined,
      "code, SQLite, sockets, thread stacks and other native memory: a native leak shows here",
    );
    add(B, `events missed during soak`, "events", missed, atMost(0, "events"));
    await pacer!.exited;
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function met(figure: Figure, median: number): boolean | null {
  if (!figure.target) return null;
  return figure.target.op === ">=" ? median >= figure.target.value : median <= figure.target.value;
}

type Machine = { cpus: number; model: string; memoryGB: number; node: string; platform: string };

/** Written after every benchmark, so a long run that is cut short still leaves its figures. */
function writeResults(began: number, machine: Machine) {
  const results = figures.map((f) => {
    const s = summarize(f.values);
    return {
      bench: f.bench,
      name: f.name,
      unit: f.unit,
      median: s.median,
      min: s.min,
      max: s.max,
      runs: f.values.length,
      values: f.values,
      target: f.target?.text ?? null,
      met: met(f, s.median),
      ...(f.note ? { note: f.note } : {}),
    };
  });
  const durationSeconds = Math.round((Date.now() - began) / 1000);
  const out = {
    date: new Date().toISOString(),
    machine,
    quick: QUICK,
    runs: RUNS,
    sizes: SIZES,
    durationSeconds,
    results,
    ...(soakTrajectories.length > 0 ? { soak: soakTrajectories } : {}),
  };
  writeFileSync(RESULTS_PATH, JSON.stringify(out, null, 2) + "\n");

  return results;
}

// ---------------------------------------------------------------------------------------------
// 7. Dashboard first-load JavaScript

async function benchWeb() {
  const B = "7. dashboard";
  // Built afresh (a stale .next would measure old code); sizes do not vary between runs, so once.
  for (const { route, kB } of analyzeWebBundle({ build: true })) {
    add(B, `first-load JS ${route}`, "kB gzip", kB, atMost(WEB_BUNDLE_TARGET_KB, "kB gzip"));
  }
}

// ---------------------------------------------------------------------------------------------
// 8. API server startup: TypeScript through tsx against the compiled build (see startup.ts)

async function benchStartup() {
  const B = "8. startup";
  const runs = Number(process.env.BENCH_STARTUP_RUNS ?? (QUICK ? 3 : 5));
  const samples = await measureStartups(runs, log);
  for (const mode of Object.keys(STARTUP_MODES) as StartupMode[]) {
    const { label } = STARTUP_MODES[mode];
    for (const sample of samples[mode]) {
      add(B, `server spawn → /readyz 200, fresh database, ${label}`, "ms", sample.readyMs);
      add(B, `server RSS after 5 s idle, ${label}`, "MB", sample.idleRssKb / 1024);
    }
  }
}

async function main() {
  const began = Date.now();
  const cpus = os.cpus();
  const machine = {
    cpus: cpus.length,
    model: cpus[0]?.model ?? "unknown",
    memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
  log(
    `machine: ${machine.cpus} × ${machine.model}, ${machine.memoryGB} GB, node ${machine.node}; runs ${RUNS}${QUICK ? ", quick" : ""}`,
  );
  const benches: [string, () => Promise<void>][] = [
    ["ingest", benchIngest],
    ["roundtrip", benchRoundtrip],
    ["memory", benchMemory],
    ["fanout", benchFanout],
    ["queries", benchQueries],
    ["soak", benchSoak],
    ["web", benchWeb],
    ["startup", benchStartup],
  ];
  for (const [name, fn] of benches) {
    if (ONLY && !ONLY.includes(name)) continue;
    log(`--- ${name}`);
    try {
      await fn();
    } catch (error) {
      log(`${name} failed:`, error);
      process.exitCode = 1;
    }
    writeResults(began, machine);
  }
  const results = writeResults(began, machine);
  const durationSeconds = Math.round((Date.now() - began) / 1000);
  const rows = results.map((r) => [
    r.bench,
    r.name,
    `${fmt(r.median)} ${r.unit}`,
    r.runs > 1 ? `${fmt(r.min)}–${fmt(r.max)}` : "",
    r.target ?? "",
    r.met === null ? "" : r.met ? "yes" : "NO",
  ]);
  const header = ["benchmark", "figure", "median", "min–max", "target", "met"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(
    `\nTower bench — ${machine.cpus} × ${machine.model}, ${machine.memoryGB} GB, node ${machine.node}, ${RUNS} run(s)${QUICK ? " (quick)" : ""}, ${durationSeconds} s\n`,
  );
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
  console.log(`\nwritten to ${path.relative(process.cwd(), RESULTS_PATH)}`);
}

await main();
