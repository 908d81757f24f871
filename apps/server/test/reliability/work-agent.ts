// An agent process for the work reliability tests: `node --import tsx work-agent.ts`, configured
// by its environment. It works on the runs Tower pushes it through the SDK (`agent.work`), and
// writes one JSON line to stdout for each thing its handler sees, for the test to read.
//
//   TOWER_URL, TOWER_API_KEY  where and as whom
//   AGENT                     the agent's name (registered beforehand)
//   LABEL                     names this process in each run's output
//   CONCURRENCY               runs held at once (default 1)
//   BEHAVIOUR                 what the handler does with every run; unset: the run's `input.mode`
//                               quick  returns the output at once
//                               fail   throws "deliberate failure"
//                               hold   reports progress 40, then waits until RELEASE_FILE exists
//                                      (returns the output) or the run is aborted (throws)
//   RELEASE_FILE              see `hold`; without it, a held run waits for its abort only
import { existsSync } from "node:fs";
import { createTowerClient, type RunContext } from "@tower/sdk";
import NodeWebSocket from "ws";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`work-agent: ${name} is required`);
  return value;
};

const label = env("LABEL");
const releaseFile = process.env.RELEASE_FILE;
const say = (event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ event, label, pid: process.pid, ...fields })}\n`);

const client = createTowerClient({
  url: env("TOWER_URL"),
  apiKey: env("TOWER_API_KEY"),
  WebSocket: NodeWebSocket as unknown as typeof globalThis.WebSocket,
  // Back soon after a server restart, so a test does not wait on a long backoff.
  retryDelayMs: () => 200,
});
const agent = client.agent(env("AGENT"));
agent.on("error", (error) => say("error", { message: error.message }));

/** Resolves when RELEASE_FILE exists; rejects when the run is aborted (cancelled, taken back). */
function held(run: RunContext): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (releaseFile && existsSync(releaseFile)) {
        clearInterval(timer);
        run.signal.removeEventListener("abort", onAbort);
        resolve();
      }
    }, 50);
    const onAbort = () => {
      clearInterval(timer);
      const reason = (run.signal.reason as Error | undefined)?.message ?? "aborted";
      say("aborted", { runId: run.id, attempt: run.attempt, reason });
      reject(new Error("stopped as asked"));
    };
    if (run.signal.aborted) onAbort();
    else run.signal.addEventListener("abort", onAbort, { once: true });
  });
}

agent.work(
  async (run) => {
    const behaviour = process.env.BEHAVIOUR ?? String(run.input.mode);
    say("started", { runId: run.id, attempt: run.attempt, task: run.task, behaviour });
    if (behaviour === "fail") {
      say("threw", { runId: run.id, attempt: run.attempt });
      throw new Error("deliberate failure");
    }
    if (behaviour === "hold") {
      run.progress(40, "holding");
      await held(run);
    }
    say("returned", { runId: run.id, attempt: run.attempt });
    return { by: label, pid: process.pid, runId: run.id, attempt: run.attempt };
  },
  { concurrency: Number(process.env.CONCURRENCY ?? "1") },
);
say("ready");
