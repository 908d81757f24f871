// The demo fleet as `npm start` runs it: the real server (src/main.ts, TOWER_DEMO=true) writes the
// demo project's own key beside its database, and `node examples/demo-fleet/main.mjs` (plain
// JavaScript, the packaged SDK from packages/sdk/dist) runs the fleet's agents with it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_FLEET_AGENTS, DEMO_FLEET_KEY_NAME } from "@tower/api";
import { openReadOnlyDb } from "@tower/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startServerProcess, type ServerProcess } from "./reliability/server-process";

const sdkDir = fileURLToPath(new URL("../../../packages/sdk", import.meta.url));
const fleetDir = fileURLToPath(new URL("../../../examples/demo-fleet", import.meta.url));

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-demo-fleet-"));
const file = path.join(dir, "tower.sqlite");
// Where the server puts it by default, and where the fleet looks by default: beside the database.
const keyFile = path.join(dir, "demo-fleet.key");
let port: number;
let server: ServerProcess | undefined;
let fleet: ChildProcess | undefined;
let fleetOutput = "";

beforeAll(async () => {
  // `npm start` and `npm test` build the SDK first (turbo: ^build); run alone, the test builds it.
  if (!existsSync(path.join(sdkDir, "dist/index.mjs"))) {
    const build = spawnSync("pnpm", ["build"], { cwd: sdkDir, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`pnpm build of @tower/sdk failed:\n${build.stdout}\n${build.stderr}`);
  }
  port = await freePort();
}, 180_000);

afterAll(async () => {
  for (const child of [fleet, server?.child]) {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Reads the database while the server runs (WAL: a reader sees every committed write). */
function query<T>(sql: string, ...params: unknown[]): T[] {
  const reader = openReadOnlyDb(file);
  try {
    return reader.sqlite.prepare(sql).all(...params) as T[];
  } finally {
    reader.close();
  }
}

interface KeyRow {
  prefix: string;
  scopes: string;
  agent_names: string;
  created_by: string | null;
  revoked_at: number | null;
}
const fleetKeys = () =>
  query<KeyRow>(
    "select prefix, scopes, agent_names, created_by, revoked_at from api_keys where name = ?",
    DEMO_FLEET_KEY_NAME,
  );

async function startServer(env: Record<string, string> = {}) {
  server = await startServerProcess(file, port, { TOWER_DEMO: "true", TOWER_LOG_LEVEL: "debug", ...env });
  return server;
}

async function stopServer() {
  server!.child.kill("SIGTERM");
  expect((await server!.exited).code, server!.output()).toBe(0);
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nfleet output:\n${fleetOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the demo fleet", () => {
  it("gets the demo project's own agent key at seed time, once, in a 0600 file, never logged", async () => {
    const first = await startServer();
    const secret = readFileSync(keyFile, "utf8").trim();
    expect(secret).toMatch(/^tower_/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const [key, ...others] = fleetKeys();
    expect(others).toEqual([]);
    expect(key).toMatchObject({ scopes: '["agent"]', created_by: null, revoked_at: null });
    expect(JSON.parse(key!.agent_names)).toEqual([...DEMO_FLEET_AGENTS]);
    const audited = query<{ actor_type: string }>(
      "select actor_type from audit_events where operation = 'apiKey.create' and target = ?",
      DEMO_FLEET_KEY_NAME,
    );
    expect(audited).toEqual([{ actor_type: "system" }]);
    expect(first.output()).toContain("demo fleet API key created");
    expect(first.output()).not.toContain(secret);
    await stopServer();
    expect(first.output()).not.toContain(secret);

    // A restart with the file in place keeps the key.
    const second = await startServer();
    expect(readFileSync(keyFile, "utf8").trim()).toBe(secret);
    expect(fleetKeys()).toHaveLength(1);
    expect(second.output()).not.toContain("demo fleet API key created");
    expect(second.output()).not.toContain(secret);
  }, 60_000);

  it("runs the fleet's agents through the packaged SDK, and SIGTERM ends their sessions", async () => {
    const secret = readFileSync(keyFile, "utf8").trim();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TOWER_URL: server!.url,
      TOWER_DB_PATH: file,
      TOWER_DEMO_FLEET_SPEED: "20",
    };
    // Plain JavaScript: nothing inherited may bring a TypeScript loader (or the source condition) in.
    delete env.NODE_OPTIONS;
    delete env.TOWER_DEMO_FLEET_KEY_PATH;
    fleet = spawn(process.execPath, ["main.mjs"], { cwd: fleetDir, env, stdio: ["ignore", "pipe", "pipe"] });
    fleet.stdout!.on("data", (chunk: Buffer) => (fleetOutput += chunk.toString()));
    fleet.stderr!.on("data", (chunk: Buffer) => (fleetOutput += chunk.toString()));
    const exited = once(fleet, "exit");

    await until("the start line", () => fleetOutput.includes("demo fleet:"));
    expect(fleetOutput.trim()).toBe(
      `demo fleet: 5 agents reporting to ${server!.url} (TOWER_DEMO_FLEET=false turns it off)`,
    );

    const fleetIn = `(${DEMO_FLEET_AGENTS.map(() => "?").join(", ")})`;
    const openSessions = () =>
      query<{ name: string }>(
        `select a.name from agent_sessions s join agents a on a.id = s.agent_id where s.ended_at is null and a.name in ${fleetIn}`,
        ...DEMO_FLEET_AGENTS,
      ).map((row) => row.name);
    const decisions = () =>
      query<{ decision: string; n: number }>(
        "select decision, count(*) as n from audit_events where agent_id is not null and client_id is not null group by decision",
      );
    const pricedMetrics = () =>
      query<{ n: number }>(
        "select count(*) as n from metrics where cost_usd > 0 and tokens_in > 0 and model is not null",
      )[0]!.n;

    await until("every agent online", () => openSessions().length === DEMO_FLEET_AGENTS.length);
    await until(
      "allowed and denied events",
      () => decisions().filter((row) => row.decision === "allowed" || row.decision === "denied").length === 2,
    );
    await until("metrics with tokens and cost", () => pricedMetrics() > 0);
    // They went busy and idle (each change of status is in the change feed).
    const statusChanges = query<{ status: string }>(
      "select distinct json_extract(data, '$.status') as status from changes where entity = 'agent' and op = 'updated'",
    ).map((row) => row.status);
    expect(statusChanges).toEqual(expect.arrayContaining(["busy", "idle"]));
    // Every report was made by the fleet's key (events carry its prefix).
    const [key] = fleetKeys();
    const via = query<{ via: string | null }>(
      "select distinct json_extract(detail, '$.reportedWith') as via from audit_events where client_id is not null",
    );
    expect(via).toEqual([{ via: key!.prefix }]);

    fleet.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    expect(code, fleetOutput).toBe(0);
    expect(openSessions()).toEqual([]);
    const statuses = query<{ status: string }>(
      `select status from agents where name in ${fleetIn}`,
      ...DEMO_FLEET_AGENTS,
    );
    expect(statuses.map((row) => row.status)).toEqual(DEMO_FLEET_AGENTS.map(() => "offline"));
    const reasons = query<{ end_reason: string }>("select distinct end_reason from agent_sessions").map(
      (r) => r.end_reason,
    );
    expect(reasons.every((reason) => reason === "stopped" || reason === "process_exit")).toBe(true);
    // One line when it started, nothing per report, and never the key.
    expect(fleetOutput.trim().split("\n")).toHaveLength(1);
    expect(fleetOutput).not.toContain(secret);
    expect(server!.output()).not.toContain(secret);
  }, 60_000);

  it("gets a new key when its file was deleted; the one nobody holds any more is revoked", async () => {
    await stopServer();
    const old = readFileSync(keyFile, "utf8").trim();
    rmSync(keyFile);
    const restarted = await startServer();
    const secret = readFileSync(keyFile, "utf8").trim();
    expect(secret).not.toBe(old);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const keys = fleetKeys();
    expect(keys).toHaveLength(2);
    expect(keys.filter((key) => key.revoked_at === null)).toHaveLength(1);
    expect(restarted.output()).not.toContain(secret);
    await stopServer();
  }, 60_000);
});
