/**
 * Load generator, forked by the bench (load.ts) so that clients never share the server's CPU. It
 * takes one job per process (a JSON message), answers `{type: "ready"}` when set up, starts on
 * `{cmd: "go"}`, winds down on `{cmd: "stop"}` and ends with `{type: "done", ...figures}`. The
 * roles are in roles/.
 */
import { flood, ingest, paced } from "./roles/agents";
import { query, roundtrip } from "./roles/calls";
import { checker } from "./roles/policy";
import { subscribe } from "./roles/subscribe";
import { enqueuer, pickup, workers } from "./roles/work";
import { command, send, type Job } from "./worker-ipc";

export type { Job } from "./worker-ipc";

async function run(job: Job) {
  switch (job.role) {
    case "ingest":
      return ingest(job);
    case "flood":
      return flood(job);
    case "paced":
      return paced(job);
    case "subscribe":
      return subscribe(job);
    case "roundtrip":
      return roundtrip(job);
    case "query":
      return query(job);
    case "checker":
      return checker(job);
    case "workers":
      return workers(job);
    case "enqueuer":
      return enqueuer(job);
    case "pickup":
      return pickup(job);
  }
}

process.on("message", (message: { cmd?: string; job?: Job }) => {
  if (message.job)
    void run(message.job).catch((error: unknown) => {
      void send({ type: "error", message: (error as Error).stack ?? String(error) }).then(() => process.exit(1));
    });
  command(message.cmd);
});
process.on("disconnect", () => process.exit(0));
// Every SDK client registers its own exit hook; one process here holds many clients.
process.setMaxListeners(0);
