// Over 300 lines on purpose: the fleet is one process started once for all three behaviours checked
// here (activity, work, a clean SIGTERM); split, each file would start its own server and fleet.
// The demo fleet as `npm start` runs it: the real server (src/main.ts, TOWER_DEMO=true) writes the
// demo project's own key beside its database, and `node examples/demo-fleet/main.mjs` (plain
// JavaScript, the packaged SDK from packages/sdk/dist) runs the fleet's agents with it; those with
// a role the demo project's work is for take its runs (packages/api/src/demo/demo-work.ts).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_FLEET_AGENTS, DEMO_FLEET_KEY_NAME, DEMO_PROJECT_NAME } from "@tower/api";
import { openReadOnlyDb } from "@tower/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startServerProcess, type ServerProcess } from "./reliability/server-process";

const sdkDir = fileURLToPath(new URL("../../../packages/sdk", import.meta.url));
const fleetDir = fileURLToPath(new URL("../../../examples/demo-fleet", import.meta.url));

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-demo-fleet-"));
const file = path.join(dir, "tower.sqlite");
// Where the server puts it by default, and where the fleet looks by default: beside the database.
const keyFile = path.join(dir, "demo-fleet.key");
/** The first person to sign up becomes the demo project's owner (to start work as an operator would). */
const SETUP_CODE = "DEMO-FLEE-TWOR-KS42";
let port: number;
let server: ServerProcess | undefined;
let fleet: ChildProcess | undefined;
let fleetOutput = "";
let fleetExited: Promise<unknown[]> | undefined;

beforeAll(async () => {
  // `npm start` and `npm test` build the SDK first (turbo: ^build); run alone, the test builds it
  // (again when its source changed since: the fleet needs what the source has, `agent.work` too).
  if (!existsSync(path.join(sdkDir, "dist/index.mjs")) || newestIn(path.join(sdkDir, "src")) > builtAt()) {
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

/** When the packaged SDK was built. */
const builtAt = () => statSync(path.join(sdkDir, "dist/index.mjs")).mtimeMs;

/** The newest change to a file under `folder` (ms). */
function newestIn(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

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
  server = await startServerProcess(file, port, {
    TOWER_DEMO: "true",
    TOWER_LOG_LEVEL: "debug",
    TOWER_SETUP_CODE: SETUP_CODE,
    ...env,
  });
  return server;
}

async function stopServer() {
  server!.child.kill("SIGTERM");
  expect((await server!.exited).code, server!.output()).toBe(0);
}

/** Calls a procedure of the running server over HTTP (a query without input is a GET). */
async function call<T>(procedure: string, input?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server!.url}/trpc/${procedure}`, {
    method: input === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", ...headers },
    body: input === undefined ? undefined : JSON.stringify(input),
  });
  const body = (await response.json()) as { result?: { data: T } };
  if (!response.ok || !body.result) throw new Error(`${procedure}: ${response.status} ${JSON.stringify(body)}`);
  return { data: body.result.data, cookie: response.headers.get("set-cookie")?.split(";")[0] };
}

const fleetIn = `(${DEMO_FLEET_AGENTS.map(() => "?").join(", ")})`;
/** The fleet's agents with a session open now. */
const openSessions = () =>
  query<{ name: string }>(
    `select a.name from agent_sessions s join agents a on a.id = s.agent_id where s.ended_at is null and a.name in ${fleetIn}`,
    ...DEMO_FLEET_AGENTS,
  ).map((row) => row.name);

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

  it("runs the fleet's agents through the packaged SDK", async () => {
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
    fleetExited = once(fleet, "exit");

    await until("the start line", () => fleetOutput.includes("demo fleet:"));
    expect(fleetOutput.trim()).toBe(
      `demo fleet: 5 agents reporting to ${server!.url} (TOWER_DEMO_FLEET=false turns it off)`,
    );

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
    expect(fleetOutput).not.toContain(secret);
  }, 60_000);

  it("takes the demo project's work: a run for an agent's role, and the demo workflow to its end", async () => {
    // An operator (the first person to sign up owns the demo project) starts work over the API.
    const signUp = await call("auth.signUp", {
      email: "owner@example.com",
      name: "Owner",
      password: "correct horse battery",
      setupCode: SETUP_CODE,
    });
    const cookie = { cookie: signUp.cookie! };
    const { data: memberships } = await call<{ projectId: string; projectName: string }[]>(
      "project.list",
      undefined,
      cookie,
    );
    const { projectId } = memberships.find((m) => m.projectName === DEMO_PROJECT_NAME)!;

    // The seeded work is for the roles of the fleet's agents.
    const roles = new Map(
      query<{ name: string; role: string }>(
        `select name, role from agents where project_id = ? and name in ${fleetIn}`,
        projectId,
        ...DEMO_FLEET_AGENTS,
      ).map((row) => [row.role, row.name]),
    );
    const tasks = query<{ name: string; target_kind: string; target_value: string; cron: string | null }>(
      "select name, target_kind, target_value, cron from tasks where project_id = ? order by name",
      projectId,
    );
    expect(tasks.length).toBeGreaterThanOrEqual(2);
    expect(tasks.filter((task) => task.cron !== null)).toHaveLength(1);
    for (const task of tasks) expect(roles.has(task.target_value), task.name).toBe(true);
    const [workflow, ...otherWorkflows] = query<{ id: string; name: string; steps: string }>(
      "select id, name, steps from workflows where project_id = ?",
      projectId,
    );
    expect(otherWorkflows).toEqual([]);

    // A run of an unscheduled task: the agent with its role takes it and it succeeds (a failed
    // attempt is retried: the fleet fails one now and then).
    const task = tasks.find((t) => t.cron === null)!;
    const { data: queued } = await call<{ id: string; status: string }>(
      "task.runNow",
      { projectId, task: task.name },
      cookie,
    );
    expect(queued.status).toBe("queued");
    const runOf = (id: string) =>
      query<{
        status: string;
        agent_name: string | null;
        output: string | null;
        log_lines: number;
        error: string | null;
      }>("select status, agent_name, output, log_lines, error from runs where id = ?", id)[0]!;
    const ended = (status: string) => !["queued", "leased", "running"].includes(status);
    await until("the run to end", () => ended(runOf(queued.id).status), 120_000);
    const run = runOf(queued.id);
    expect(run, JSON.stringify(run)).toMatchObject({ status: "succeeded", agent_name: roles.get(task.target_value) });
    expect(JSON.parse(run.output!)).toEqual(expect.any(Object));
    expect(run.log_lines).toBeGreaterThanOrEqual(3);
    const logs = query<{ line: string }>("select line from run_logs where run_id = ? order by id", queued.id);
    expect(logs[0]!.line).toContain(`${roles.get(task.target_value)} took ${task.name}`);
    // Its progress went out as it went (each change is in the change feed).
    const progress = query<{ progress: number; message: string | null }>(
      "select distinct json_extract(data, '$.progress') as progress, json_extract(data, '$.progressMessage') as message from changes where entity = 'run' and json_extract(data, '$.id') = ?",
      queued.id,
    );
    expect(progress.some((p) => p.progress > 0 && p.progress < 100 && p.message !== null)).toBe(true);

    // The demo workflow, started as from the dashboard: each step goes to the agent with its role.
    const { data: started } = await call<{ id: string; status: string }>(
      "workflow.start",
      { projectId, id: workflow!.id },
      cookie,
    );
    expect(started.status).toBe("running");
    const workflowRun = () =>
      query<{ status: string; steps: string }>("select status, steps from workflow_runs where id = ?", started.id)[0]!;
    await until("the workflow to end", () => workflowRun().status !== "running", 180_000);
    const steps = JSON.parse(workflowRun().steps) as { name: string; status: string; runId: string }[];
    expect(workflowRun().status, JSON.stringify(steps)).toBe("succeeded");
    const definition = JSON.parse(workflow!.steps) as { name: string; target: { value: string } }[];
    expect(steps.map((step) => step.name)).toEqual(definition.map((step) => step.name));
    expect(steps.every((step) => step.status === "succeeded")).toBe(true);
    const takenBy = steps.map((step) => runOf(step.runId).agent_name);
    expect(takenBy).toEqual(definition.map((step) => roles.get(step.target.value)));

    // Still one line of output: work is not logged to the console.
    expect(fleetOutput.trim().split("\n")).toHaveLength(1);
  }, 360_000);

  it("ends the agents' sessions (and their work) on SIGTERM", async () => {
    const secret = readFileSync(keyFile, "utf8").trim();
    fleet!.kill("SIGTERM");
    const [code] = (await fleetExited) as [number | null];
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
    // No run it was working on is left to a process that is gone: each was told to stop, and reported.
    expect(query("select id from runs where status = 'running'")).toEqual([]);
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
