/**
 * The server under test: built (tsdown) and started as `npm start` runs it, `node
 * apps/server/dist/main.js`, with server-probe.js loaded beside it for memory figures, on a fresh
 * SQLite file and a free loopback port; then an account and an API key made over the real API.
 */
import { fork, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ProbeMemory } from "./server-probe.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const serverDir = path.join(root, "apps/server");
/** What `npm start` runs: the compiled server (see docs/decisions/compiled-server.md). */
const mainJs = path.join(serverDir, "dist/main.js");
/** Plain JavaScript: the compiled server runs without a TypeScript loader, and so does the probe. */
const probeJs = fileURLToPath(new URL("./server-probe.js", import.meta.url));

let built = false;

/**
 * `pnpm --filter @tower/server build` (tsdown, a second or two) once per bench process, so a bench
 * never measures a dist/ older than the sources; its output goes to stderr.
 */
export function buildServer(): void {
  if (built) return;
  const result = spawnSync("pnpm", ["--filter", "@tower/server", "build"], {
    cwd: root,
    stdio: ["ignore", process.stderr, process.stderr],
  });
  if (result.status !== 0) throw new Error(`pnpm --filter @tower/server build failed (exit ${result.status})`);
  built = true;
}

export interface BenchServer {
  url: string;
  pid: number;
  dbPath: string;
  apiKey: string;
  /** A key with the admin scope (policies). */
  adminKey: string;
  projectId: string;
  rssKb(): number;
  rssPartsKb(): { anon: number; file: number; shmem: number };
  /** CPU time (user + system) the server process has used, in ms. */
  cpuMs(): number;
  /** The server's `process.memoryUsage()` in bytes; `gc` runs a full GC first (needs `--expose-gc`). */
  memory(options?: { gc?: boolean }): Promise<ProbeMemory>;
  /** Writes a V8 heap snapshot of the server to `file` and resolves when it is written. */
  heapSnapshot(file: string, options?: { gc?: boolean }): Promise<string>;
  stop(): Promise<void>;
}

export function rssKbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

/** The RSS split of /proc/<pid>/status in kB: anonymous (heaps, malloc), file-backed (code, mmap), shared. */
export function rssPartsKbOf(pid: number): { anon: number; file: number; shmem: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)\\s+kB`).exec(status)?.[1] ?? Number.NaN);
  return { anon: field("RssAnon"), file: field("RssFile"), shmem: field("RssShmem") };
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

async function call<T>(
  url: string,
  procedure: string,
  input: unknown,
  cookie?: string,
): Promise<{ data: T; cookie?: string }> {
  const response = await fetch(`${url}/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(input),
  });
  const body = (await response.json()) as { result?: { data: T }; error?: unknown };
  if (!response.ok || !body.result) throw new Error(`${procedure} failed: ${response.status} ${JSON.stringify(body)}`);
  const setCookie = response.headers.get("set-cookie");
  return { data: body.result.data, cookie: setCookie ? setCookie.split(";")[0] : undefined };
}

async function getCall<T>(url: string, procedure: string, cookie: string): Promise<T> {
  const response = await fetch(`${url}/trpc/${procedure}`, { headers: { cookie } });
  const body = (await response.json()) as { result?: { data: T } };
  if (!response.ok || !body.result) throw new Error(`${procedure} failed: ${response.status} ${JSON.stringify(body)}`);
  return body.result.data;
}

/** Preset for the server the bench starts, so it can sign up the first account. */
const BENCH_SETUP_CODE = "BENCH-SETUP-CODE";
/** The first account, signed up by every server the bench starts (the dashboard bench logs in with it). */
export const BENCH_ACCOUNT = { email: "bench@example.com", name: "Bench", password: "bench-password-123" };

/** Signs up the first account over the real API and makes a read/write API key for its project. */
async function provision(url: string): Promise<{ apiKey: string; adminKey: string; projectId: string }> {
  const signUp = await call(url, "auth.signUp", { ...BENCH_ACCOUNT, setupCode: BENCH_SETUP_CODE });
  const cookie = signUp.cookie;
  if (!cookie) throw new Error("auth.signUp set no session cookie");
  const me = await getCall<{ memberships: { projectId: string }[] }>(url, "auth.me", cookie);
  const projectId = me.memberships[0]?.projectId;
  if (!projectId) throw new Error("the new account has no project");
  const key = await call<{ secret: string }>(
    url,
    "apiKey.create",
    { projectId, name: "bench", scopes: ["manage"] },
    cookie,
  );
  // Saving a policy is for admins.
  const admin = await call<{ secret: string }>(
    url,
    "apiKey.create",
    { projectId, name: "bench admin", scopes: ["admin"] },
    cookie,
  );
  return { apiKey: key.data.secret, adminKey: admin.data.secret, projectId };
}

export interface StartOptions {
  /**
   * false: every HTTP call goes through tRPC's adapter, not Tower's fast path for plain queries and
   * mutations (apps/server/src/fast-call.ts), to measure what that path gains.
   */
  fastCall?: boolean;
  /** More environment for the server, e.g. TOWER_ALLOWED_ORIGINS for a dashboard in front of it. */
  env?: Record<string, string>;
}

/** The server as shipped, and without the fast path, with the suffix their figures carry. */
export interface ServerVariant {
  server: StartOptions;
  suffix: string;
  /** The configuration users run: its figures keep their names and targets. */
  shipped: boolean;
}
const SERVER_VARIANTS: readonly ServerVariant[] = [
  { server: {}, suffix: "", shipped: true },
  { server: { fastCall: false }, suffix: ", without fast-call.ts", shipped: false },
];

/** Both variants, their order alternating with `turn`, so a drift in the machine's load hits both alike. */
export function variantsFor(turn: number): readonly ServerVariant[] {
  return turn % 2 === 1 ? SERVER_VARIANTS : [...SERVER_VARIANTS].reverse();
}

/**
 * Starts the real server as `npm start` runs it (`node apps/server/dist/main.js`, built first) on a
 * free loopback port with a fresh SQLite file.
 */
export async function startServer(label: string, options: StartOptions = {}): Promise<BenchServer> {
  buildServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), `tower-bench-${label}-`));
  const dbPath = path.join(dir, "tower.sqlite");
  // The server's own log goes to a file next to the database (kept when something failed).
  const logPath = path.join(dir, "server.log");
  const logFd = openSync(logPath, "a");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOWER_PORT: "0",
    TOWER_HOST: "127.0.0.1",
    TOWER_DB_PATH: dbPath,
    TOWER_LOG_LEVEL: "warn",
    TOWER_DEMO: "false",
    TOWER_SETUP_CODE: BENCH_SETUP_CODE,
    // One key drives every load: the per-key ingest limit and WebSocket cap would measure
    // themselves, not the server (the 1,000 fan-out subscribers share the key).
    TOWER_INGEST_ITEMS_PER_SECOND: "100000000",
    TOWER_WS_SOCKETS_PER_CREDENTIAL: "100000",
    NODE_ENV: "production",
    ...(options.fastCall === false ? { TOWER_BENCH_NO_FAST_CALL: "1" } : {}),
    ...options.env,
  };
  // As `npm start`: no loader or flags from the bench's own environment.
  delete env.NODE_OPTIONS;
  const child: ChildProcess = fork(mainJs, [], {
    cwd: serverDir,
    // BENCH_SERVER_ARGS passes extra Node flags to the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    // server-probe.js answers the bench's memory questions over IPC (see there); main.js is unchanged.
    execArgv: ["--import", probeJs, ...(process.env.BENCH_SERVER_ARGS?.split(" ").filter(Boolean) ?? [])],
    env,
    stdio: ["ignore", logFd, logFd, "ipc"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start within 60 s")), 60_000);
    child.on("message", (message: { type?: string; port?: number }) => {
      if (message.type === "listening" && message.port) {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening; see ${logPath}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const { apiKey, adminKey, projectId } = await provision(url);
  const pid = child.pid!;
  let probeId = 0;
  const ask = <T>(request: Record<string, unknown>, pick: (m: Record<string, unknown>) => T, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const id = ++probeId;
      const onMessage = (message: Record<string, unknown>) => {
        if (message?.type !== request.type || message.id !== id) return;
        cleanup();
        if (typeof message.error === "string") reject(new Error(`${String(request.type)}: ${message.error}`));
        else resolve(pick(message));
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`server exited before answering ${String(request.type)}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`server did not answer ${String(request.type)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
      child.send({ ...request, id });
    });
  return {
    url,
    pid,
    dbPath,
    apiKey,
    adminKey,
    projectId,
    rssKb: () => rssKbOf(pid),
    rssPartsKb: () => rssPartsKbOf(pid),
    cpuMs: () => cpuMsOf(pid),
    memory: (options = {}) => ask({ type: "bench.memory", gc: options.gc }, (m) => m.memory as ProbeMemory, 30_000),
    heapSnapshot: (file, options = {}) =>
      ask({ type: "bench.heapsnapshot", file, gc: options.gc }, (m) => m.file as string, 300_000),
    stop: async () => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const code = await exited;
      clearTimeout(timer);
      closeSync(logFd);
      if (code === 0 && !process.env.BENCH_KEEP_SERVER_FILES) rmSync(dir, { recursive: true, force: true });
      else if (code === 0) console.error(`[bench] the server's log and database are kept in ${dir}`);
      else console.error(`[bench] server exited with ${code}; its log and database are kept in ${dir}`);
    },
  };
}
