/**
 * The worker side of the bench's IPC protocol (see worker.ts): the jobs, and the signals every role
 * waits on. A job's role answers `{type: "ready"}` when set up, starts on `go`, winds down once
 * `stopped`, and ends with `{type: "done", ...figures}`.
 */
export type Job =
  | {
      role: "ingest";
      url: string;
      apiKey: string;
      agents: string[];
      perAgent: number;
      metrics?: boolean;
      spreadMs?: number;
    }
  | { role: "flood"; url: string; apiKey: string; agents: string[] }
  | { role: "paced"; url: string; apiKey: string; agents: string[]; perSecond: number; tag: string }
  | { role: "subscribe"; url: string; apiKey: string; count: number; openTimeoutMs: number }
  | { role: "roundtrip"; url: string; apiKey: string; samples: number }
  | { role: "query"; url: string; apiKey: string; samples: number; budgetMs: number; queries: string[] }
  | {
      role: "checker";
      url: string;
      apiKey: string;
      agent: string;
      perSecond: number;
      /** Seconds at the full rate before the measured ones (the steady state is what is measured). */
      warmupSeconds: number;
      seconds: number;
      /** `sdk`: agent.authorize through the SDK; `http`: a bare policy.check over HTTP; `hook`: Claude Code's. */
      target: "sdk" | "http" | "hook";
    }
  /** Agents taking runs with `agent.work` until stopped (see roles/work.ts). */
  | { role: "workers"; url: string; apiKey: string; agents: string[]; concurrency: number }
  /** An app queuing `count` runs of `task`, at most `inFlight` calls outstanding. */
  | { role: "enqueuer"; url: string; apiKey: string; task: string; count: number; inFlight: number }
  /** An app queuing runs at a steady rate and an idle agent (concurrency 1) taking them, in one process. */
  | {
      role: "pickup";
      url: string;
      apiKey: string;
      agent: string;
      task: string;
      perSecond: number;
      warmupSeconds: number;
      seconds: number;
    };

/** Resolves once the message is written to the IPC channel, so a `process.exit` after it cannot drop it. */
export const send = (message: Record<string, unknown>) =>
  new Promise<void>((resolve) => (process.send ? process.send(message, undefined, {}, () => resolve()) : resolve()));
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let stopRequested: () => void = () => {};
/** Resolves on `{cmd: "stop"}`. */
export const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
let goSignal: () => void = () => {};
/** Resolves on `{cmd: "go"}`. */
export const go = new Promise<void>((resolve) => (goSignal = resolve));
let stopFlag = false;
export const isStopped = () => stopFlag;

/** Called by worker.ts for the bench's commands. */
export function command(cmd: string | undefined) {
  if (cmd === "go") goSignal();
  if (cmd === "stop") {
    stopFlag = true;
    stopRequested();
  }
}
