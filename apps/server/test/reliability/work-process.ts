import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { Run, TowerClient } from "@tower/sdk";

const script = fileURLToPath(new URL("./work-agent.ts", import.meta.url));

/** One line the agent process wrote (see work-agent.ts). */
export interface AgentLine {
  event: "ready" | "started" | "returned" | "threw" | "aborted" | "error";
  label: string;
  pid: number;
  runId?: string;
  attempt?: number;
  reason?: string;
  message?: string;
}

export interface AgentProcess {
  child: ChildProcess;
  pid: number;
  /** Its lines so far, of one kind or all. */
  lines(event?: AgentLine["event"]): AgentLine[];
  /** Everything it wrote, for failure messages. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (the SDK stops its work loop and reports what it holds), then waits for the exit. */
  stop(): Promise<void>;
}

/** Starts work-agent.ts as its own process, as the reliability tests start the server (tsx). */
export function startAgentProcess(options: {
  url: string;
  apiKey: string;
  agent: string;
  label: string;
  concurrency?: number;
  behaviour?: "quick" | "fail" | "hold";
  releaseFile?: string;
}): AgentProcess {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TOWER_URL: options.url,
    TOWER_API_KEY: options.apiKey,
    AGENT: options.agent,
    LABEL: options.label,
    CONCURRENCY: String(options.concurrency ?? 1),
  };
  delete env.BEHAVIOUR;
  delete env.RELEASE_FILE;
  if (options.behaviour) env.BEHAVIOUR = options.behaviour;
  if (options.releaseFile) env.RELEASE_FILE = options.releaseFile;
  const child = spawn(process.execPath, ["--conditions=@tower/source", "--import", "tsx", script], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  let pending = "";
  const parsed: AgentLine[] = [];
  child.stdout!.on("data", (chunk: Buffer) => {
    log += chunk.toString();
    pending += chunk.toString();
    const complete = pending.split("\n");
    pending = complete.pop()!;
    for (const line of complete) {
      try {
        parsed.push(JSON.parse(line) as AgentLine);
      } catch {
        // not one of ours (a warning printed by a library)
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return {
    child,
    pid: child.pid!,
    lines: (event) => parsed.filter((line) => event === undefined || line.event === event),
    output: () => log,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Kills a process (by its own handle) unless it already ended, and waits for it to end. */
export async function killProcess(child: ChildProcess, exited: Promise<unknown>, signal: NodeJS.Signals = "SIGKILL") {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  await exited;
}

/** Reads `read()` until `done` holds of what it returns; fails after `timeoutMs` with the last value seen. */
export async function until<T>(
  what: string | (() => string),
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined;
    let problem: unknown;
    try {
      value = await read();
      if (done(value)) return value;
    } catch (error) {
      problem = error;
    }
    if (Date.now() > deadline) {
      const last = problem !== undefined ? String(problem) : JSON.stringify(value)?.slice(0, 2_000);
      const described = typeof what === "string" ? what : what();
      throw new Error(`Timed out waiting for ${described}; last seen: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The runs with these ids, as the server has them now, in the order of `ids`. */
export function runsById(client: TowerClient, ids: readonly string[]): Promise<Run[]> {
  return Promise.all(ids.map((id) => client.api.run.byId.query({ id })));
}

/** The code of a tRPC error (CONFLICT, NOT_FOUND…), or undefined. */
export function codeOf(error: unknown): string | undefined {
  return (error as { data?: { code?: string } } | undefined)?.data?.code;
}

/** The tRPC code a call failed with (the test fails if it succeeded). */
export async function refusal(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (error) {
    return codeOf(error) ?? String(error);
  }
  throw new Error("the call was accepted");
}
