// `npm start` runs the server as built JavaScript (`node dist/main.js`), without the TypeScript
// loader the other tests use: the worker threads' entries, the SQL migrations and the demo folder
// must all be found from dist/. See docs/decisions/compiled-server.md.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openReadOnlyDb } from "@tower/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const serverDir = fileURLToPath(new URL("..", import.meta.url));
const mainJs = path.join(serverDir, "dist/main.js");
const SETUP_CODE = "COMP-ILED-SERV-ER23";

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-compiled-"));
const file = path.join(dir, "tower.sqlite");
let child: ChildProcess | undefined;
let log = "";

beforeAll(() => {
  // Built from the current sources every time: a stale dist/ would test old code.
  const build = spawnSync("pnpm", ["run", "build"], { cwd: serverDir, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`pnpm run build failed:\n${build.stdout}\n${build.stderr}`);
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
    await once(child, "exit");
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `node dist/main.js` on port 0 and resolves with the port it says it listens on (over IPC). */
async function startCompiled(): Promise<{ url: string; process: ChildProcess }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOWER_PORT: "0",
    TOWER_HOST: "127.0.0.1",
    TOWER_DB_PATH: file,
    TOWER_LOG_LEVEL: "info",
    // The demo project is read from examples/fleet, a path the server finds relative to itself.
    TOWER_DEMO: "true",
    TOWER_SETUP_CODE: SETUP_CODE,
    NODE_ENV: "production",
  };
  // Nothing inherited may bring a TypeScript loader in: this process runs JavaScript only.
  delete env.NODE_OPTIONS;
  const started = spawn(process.execPath, [mainJs], {
    cwd: serverDir,
    env,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  child = started;
  started.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  started.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 30 s:\n${log}`)), 30_000);
    started.on("message", (message: { type?: string; port?: number }) => {
      if (message.type !== "listening" || !message.port) return;
      clearTimeout(timer);
      resolve(message.port);
    });
    started.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${log}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, process: started };
}

/** A tRPC mutation over plain HTTP, as any client makes it. */
async function call<T>(url: string, procedure: string, input: unknown, auth: Record<string, string> = {}) {
  const response = await fetch(`${url}/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify(input),
  });
  const body = (await response.json()) as { result?: { data: T } };
  if (!response.ok || !body.result) throw new Error(`${procedure}: ${response.status} ${JSON.stringify(body)}`);
  return { data: body.result.data, cookie: response.headers.get("set-cookie")?.split(";")[0] };
}

describe("the compiled server (node dist/main.js, no TypeScript loader)", () => {
  it("migrates a fresh database, answers /readyz and stores reports through its writer thread", async () => {
    const { url, process: server } = await startCompiled();

    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", server: "ok" } });
    expect(log).toContain("demo project created");

    // Every committed migration ran, read from the copy in dist/migrations.
    const journal = JSON.parse(readFileSync(path.join(serverDir, "dist/migrations/meta/_journal.json"), "utf8")) as {
      entries: unknown[];
    };
    const check = openReadOnlyDb(file);
    try {
      const applied = check.sqlite.prepare("select count(*) from __drizzle_migrations").pluck().get();
      expect(applied).toBe(journal.entries.length);
    } finally {
      check.close();
    }

    // One report through the ingest writer thread (a file database always has one).
    const signUp = await call(url, "auth.signUp", {
      email: "owner@example.com",
      name: "Owner",
      password: "correct horse battery",
      setupCode: SETUP_CODE,
    });
    const cookie = { cookie: signUp.cookie! };
    const projects = await fetch(`${url}/trpc/project.list`, { headers: cookie });
    const body = (await projects.json()) as { result: { data: { projectId: string }[] } };
    const projectId = body.result.data[0]!.projectId;
    await call(url, "agent.create", { projectId, name: "compiled-agent", role: "worker" }, cookie);
    const key = await call<{ secret: string }>(
      url,
      "apiKey.create",
      { projectId, name: "compiled", scopes: ["manage"] },
      cookie,
    );
    const report = await call<{ stored: number; rejected: number }>(
      url,
      "ingest.report",
      { items: [{ kind: "event", id: "compiled-event-1", agent: "compiled-agent", operation: "tool_use" }] },
      { authorization: `Bearer ${key.data.secret}` },
    );
    expect(report.data).toMatchObject({ stored: 1, rejected: 0 });

    server.kill("SIGTERM");
    const [code] = (await once(server, "exit")) as [number | null];
    expect(code, log).toBe(0);
    const stored = openReadOnlyDb(file);
    try {
      const ids = stored.sqlite.prepare("select client_id from audit_events where client_id is not null").pluck().all();
      expect(ids).toEqual(["compiled-event-1"]);
    } finally {
      stored.close();
    }
  }, 60_000);
});
