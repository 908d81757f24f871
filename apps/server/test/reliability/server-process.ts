import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import {
  createConnectionState,
  createInProcessAuditDeps,
  createInProcessEventBus,
  createLoginThrottle,
  createIngestThrottle,
  createIngestWriter,
  DEFAULT_HEARTBEAT,
  DEFAULT_WORK_POLICY,
  systemClock,
} from "@tower/api";
import { callerFor, TEST_SETUP_CODE } from "@tower/api/testing";
import { createDb } from "@tower/db";
import pino from "pino";

const main = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

/** A free loopback port (asked of the OS, then released for the server to take). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, "close");
  return port;
}

/** Creates the owner, a write key and the named agents in a database file, before any server runs. */
export async function prepareDatabase(file: string, agentNames: string[]) {
  const handle = createDb(file);
  const state = createConnectionState();
  const deps = {
    db: handle.db,
    state,
    bus: createInProcessEventBus(),
    clock: systemClock,
    logger: pino({ level: "silent" }),
    loginThrottle: createLoginThrottle(),
    ingestThrottle: createIngestThrottle(),
    ingestWriter: createIngestWriter(handle.db, state),
    heartbeat: DEFAULT_HEARTBEAT,
    work: DEFAULT_WORK_POLICY,
    setupCode: TEST_SETUP_CODE,
    audit: createInProcessAuditDeps(handle.db),
  };
  const anonymous = callerFor(deps);
  await anonymous.auth.signUp({
    email: "owner@example.com",
    name: "Owner",
    password: "correct horse battery",
    setupCode: TEST_SETUP_CODE,
  });
  const owner = callerFor(deps, { sessionToken: anonymous.cookies.token });
  const [membership] = await owner.project.list();
  const projectId = membership!.projectId;
  const key = await owner.apiKey.create({ projectId, name: "reliability", scopes: ["manage"] });
  for (const name of agentNames) await owner.agent.create({ projectId, name, role: "worker" });
  handle.close();
  return { projectId, apiKey: key.secret };
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote, for assertions and for failure messages. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the real server (`src/main.ts`) as its own process and waits until it is ready. */
export async function startServerProcess(
  file: string,
  port: number,
  extraEnv: Record<string, string> = {},
): Promise<ServerProcess> {
  // A V8 flag as deployments set them: the ingest writer thread must start under it too.
  const child = spawn(process.execPath, ["--max-old-space-size=1024", "--import", "tsx", main], {
    env: {
      ...process.env,
      TOWER_PORT: String(port),
      TOWER_HOST: "127.0.0.1",
      TOWER_DB_PATH: file,
      TOWER_LOG_LEVEL: "info",
      TOWER_DEMO: "false",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited while starting:\n${log}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become ready:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url, child, output: () => log, exited };
}
