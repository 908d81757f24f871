import { fork, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const mainTs = path.join(root, "apps/server/src/main.ts");

export interface BenchServer {
  url: string;
  pid: number;
  dbPath: string;
  apiKey: string;
  projectId: string;
  rssKb(): number;
  /** CPU time (user + system) the server process has used, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

export function rssKbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return match ? Number(match[1]) : Number.NaN;
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

/** Signs up the first account over the real API and makes a read/write API key for its project. */
async function provision(url: string): Promise<{ apiKey: string; projectId: string }> {
  const signUp = await call(url, "auth.signUp", {
    email: "bench@example.com",
    name: "Bench",
    password: "bench-password-123",
  });
  const cookie = signUp.cookie;
  if (!cookie) throw new Error("auth.signUp set no session cookie");
  const me = await getCall<{ memberships: { projectId: string }[] }>(url, "auth.me", cookie);
  const projectId = me.memberships[0]?.projectId;
  if (!projectId) throw new Error("the new account has no project");
  const key = await call<{ secret: string }>(
    url,
    "apiKey.create",
    { projectId, name: "bench", scopes: ["read", "write"] },
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
    execArgv: ["--import", "tsx", ...(process.env.BENCH_SERVER_ARGS?.split(" ").filter(Boolean) ?? [])],
    env: {
      ...process.env,
      TOWER_PORT: "0",
      TOWER_HOST: "127.0.0.1",
      TOWER_DB_PATH: dbPath,
      TOWER_LOG_LEVEL: "warn",
      TOWER_DEMO: "false",
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
  return {
    url,
    pid,
    dbPath,
    apiKey,
    projectId,
    rssKb: () => rssKbOf(pid),
    cpuMs: () => cpuMsOf(pid),
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
