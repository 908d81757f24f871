import { fork, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ProbeMemory } from "./server-probe";

const root = fileURLToPath(new URL("../../", import.meta.url));
const mainTs = path.join(root, "apps/server/src/main.ts");
const probeTs = fileURLToPath(new URL("./server-probe.ts", import.meta.url));

export interface BenchServer {
  url: string;
  pid: number;
  dbPath: string;
  apiKey: string;
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

/** Signs up the first account over the real API and makes a read/write API key for its project. */
async function provision(url: string): Promise<{ apiKey: string; projectId: string }> {
  const signUp = await call(url, "auth.signUp", {
    email: "bench@example.com",
    name: "Bench",
    password: "bench-password-123",
    setupCode: BENCH_SETUP_CODE,
  });
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
  return { apiKey: key.data.secret, projectId };
}

/** Starts the real server (`apps/server/src/main.ts`) on a free loopback port with a fresh SQLite file. */
export async function startServer(label: string): Promise<BenchServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `tower-bench-${label}-`));
  const dbPath = path.join(dir, "tower.sqlite");
  // The server's own log goes to a file next to the database (kept when something failed).
  const logPath = path.join(dir, "server.log");
  const logFd = openSync(logPath, "a");
  const child: ChildProcess = fork(mainTs, [], {
    cwd: path.join(root, "apps/server"),
    // BENCH_SERVER_ARGS passes extra Node flags to the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    // server-probe.ts answers the bench's memory questions over IPC (see there); main.ts is unchanged.
    execArgv: [
      "--import",
      "tsx",
      "--import",
      probeTs,
      ...(process.env.BENCH_SERVER_ARGS?.split(" ").filter(Boolean) ?? []),
    ],
    env: {
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
    },
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
  const { apiKey, projectId } = await provision(url);
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
      if (code === 0) rmSync(dir, { recursive: true, force: true });
      else console.error(`[bench] server exited with ${code}; its log and database are kept in ${dir}`);
    },
  };
}
