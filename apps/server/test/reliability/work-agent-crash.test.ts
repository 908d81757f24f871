// Work at process level: an agent process holding leases is SIGKILLed (or frozen with SIGSTOP)
// while its runs are in progress. The real server runs as its own process with a short lease; the
// runs must go back to the queue once their leases lapse and be completed by another agent process,
// each exactly once, and what the first process reports late must be refused.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTowerClient, type Run, type TowerClient } from "@tower/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, prepareDatabase, startServerProcess, type ServerProcess } from "./server-process";
import { killProcess, refusal, runsById, startAgentProcess, until, type AgentProcess } from "./work-process";

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-work-agent-"));
let server: ServerProcess;
let apiKey: string;
let app: TowerClient;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  const file = path.join(dir, "work.sqlite");
  ({ apiKey } = await prepareDatabase(file, ["doomed", "rescuer", "frozen", "thawer", "steady"]));
  server = await startServerProcess(file, await freePort(), { TOWER_RUN_LEASE_MS: "1500" });
  app = createTowerClient({ url: server.url, apiKey });
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((agent) => killProcess(agent.child, agent.exited)));
  app?.close();
  if (server) await killProcess(server.child, server.exited, "SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

function agentProcess(options: Omit<Parameters<typeof startAgentProcess>[0], "url" | "apiKey">) {
  const agent = startAgentProcess({ url: server.url, apiKey, ...options });
  agents.push(agent);
  return agent;
}

/** A task any of the test's agents (all "worker"s) may take, retried at once after a lapse. */
async function enqueueRuns(task: string, count: number, maxAttempts = 3): Promise<string[]> {
  await app.api.task.create.mutate({
    name: task,
    target: { kind: "role", value: "worker" },
    maxAttempts,
    backoffSeconds: 0,
  });
  const runs = await Promise.all(Array.from({ length: count }, (_, n) => app.tasks.enqueue(task, { n })));
  return runs.map((run) => run.id);
}

const sorted = (values: readonly (string | undefined)[]) => [...values].sort();
const heldBy = (agent: string) => (runs: Run[]) =>
  runs.every((run) => run.status === "running" && run.agentName === agent && run.progress === 40);
const allSucceeded = (runs: Run[]) => runs.every((run) => run.status === "succeeded");
/** What must never change once a run has ended. */
const outcome = (run: Run) => ({
  status: run.status,
  attempt: run.attempt,
  agentName: run.agentName,
  output: run.output,
  error: run.error,
  finishedAt: run.finishedAt,
});

describe("work: an agent process holding leases is SIGKILLed", () => {
  it("re-queues its runs once the leases lapse; a second agent process completes each exactly once", async () => {
    // Attempts to spare: on a loaded machine a heartbeat may come late, a lease lapse early.
    const ids = await enqueueRuns("crunch", 6, 10);
    const doomed = agentProcess({ agent: "doomed", label: "doomed", concurrency: 6, behaviour: "hold" });
    const held = await until(
      () => `the doomed agent to be running all six runs\n${doomed.output()}`,
      () => runsById(app, ids),
      heldBy("doomed"),
    );
    /** The attempt of each run the doomed process held when it was killed. */
    const doomedAttempt = new Map(held.map((run) => [run.id, run.attempt]));
    expect(sorted(doomed.lines("started").map((line) => line.runId))).toEqual(sorted(ids));

    doomed.child.kill("SIGKILL");
    expect((await doomed.exited).signal).toBe("SIGKILL");
    // Nothing was reported for the killed process's runs: they are still its, until the leases lapse.
    expect(doomed.lines("returned")).toEqual([]);

    const release = path.join(dir, "release-rescuer");
    const rescuer = agentProcess({
      agent: "rescuer",
      label: "rescuer",
      concurrency: 6,
      behaviour: "hold",
      releaseFile: release,
    });
    const rescued = await until(
      () => `the rescuer to be running every run\n${rescuer.output()}`,
      () => runsById(app, ids),
      heldBy("rescuer"),
      30_000,
    );
    // Taken back (the lapse) and leased again: a later attempt than the one the killed process held.
    for (const run of rescued) expect(run.attempt).toBeGreaterThan(doomedAttempt.get(run.id)!);

    /** What the killed process would have said, had it lived (same key, its attempt): all refused. */
    const lateReports = async () => {
      for (const id of ids) {
        const attempt = doomedAttempt.get(id)!;
        expect(await refusal(app.api.run.heartbeat.mutate({ id, attempt, progress: 90 }))).toBe("CONFLICT");
        expect(await refusal(app.api.run.complete.mutate({ id, attempt, output: { by: "doomed" } }))).toBe("CONFLICT");
        expect(await refusal(app.api.run.fail.mutate({ id, attempt, error: "late failure" }))).toBe("CONFLICT");
      }
    };
    // While the rescuer holds the runs, reports about the killed process's attempts change nothing.
    await lateReports();
    const stillRescued = await runsById(app, ids);
    expect(stillRescued.map((run) => [run.status, run.agentName, run.progress])).toEqual(
      ids.map(() => ["running", "rescuer", 40]),
    );

    writeFileSync(release, "");
    const done = await until(
      () => `every run to be completed by the rescuer\n${rescuer.output()}`,
      () => runsById(app, ids),
      allSucceeded,
      30_000,
    );
    for (const run of done) {
      // The one outcome stored is the rescuer's, for the attempt the run was on.
      expect(run).toMatchObject({
        status: "succeeded",
        agentName: "rescuer",
        error: null,
        leaseExpiresAt: null,
        output: { by: "rescuer", pid: rescuer.pid, runId: run.id, attempt: run.attempt },
      });
      expect(run.attempt).toBeGreaterThan(doomedAttempt.get(run.id)!);
    }
    // The rescuer's handler returned once per run: nothing was completed twice.
    expect(sorted(rescuer.lines("returned").map((line) => line.runId))).toEqual(sorted(ids));

    // And once they ended, late reports are still refused and change nothing.
    await lateReports();
    expect((await runsById(app, ids)).map(outcome)).toEqual(done.map(outcome));
    await rescuer.stop();
  }, 60_000);
});

describe("work: an agent process is frozen (SIGSTOP) past its leases, then thawed", () => {
  it("refuses the thawed process's late completions: each run keeps the one outcome another agent reported", async () => {
    // Many attempts: while the frozen process's socket stays open, Tower may lease a run it took
    // back to that same (frozen) agent again, and each such lease that lapses uses an attempt.
    const ids = await enqueueRuns("thaw", 3, 20);
    // The frozen process's handlers finish as soon as it runs again: it reports late, for real.
    const release = path.join(dir, "release-frozen");
    const frozen = agentProcess({
      agent: "frozen",
      label: "frozen",
      concurrency: 3,
      behaviour: "hold",
      releaseFile: release,
    });
    await until(
      () => `the frozen agent to be running all three runs\n${frozen.output()}`,
      () => runsById(app, ids),
      heldBy("frozen"),
    );

    frozen.child.kill("SIGSTOP");
    try {
      const thawer = agentProcess({ agent: "thawer", label: "thawer", concurrency: 3, behaviour: "quick" });
      const done = await until(
        () => `every run to be completed by the thawer\n${thawer.output()}`,
        () => runsById(app, ids),
        allSucceeded,
        30_000,
      );
      for (const run of done) {
        expect(run.attempt).toBeGreaterThanOrEqual(2);
        expect(run).toMatchObject({
          agentName: "thawer",
          output: { by: "thawer", runId: run.id, attempt: run.attempt },
        });
      }
      writeFileSync(release, "");
      frozen.child.kill("SIGCONT");
      // Each of its handlers ends: returned (its completion is then refused) or aborted (a
      // heartbeat, or Tower's notice, told it the run was taken back first).
      await until(
        () => `the thawed process to finish its handlers\n${frozen.output()}`,
        () => frozen.lines().filter((line) => line.event === "returned" || line.event === "aborted"),
        (ended) => new Set(ended.map((line) => line.runId)).size === ids.length,
      );
      for (const line of frozen.lines("aborted")) expect(line.reason).toMatch(/no longer held|lease lapsed/i);
      // SIGTERM: the SDK waits for every report in hand to be answered before the process exits.
      await frozen.stop();
      // Each outcome it could not record is said, naming the run; nothing else went wrong.
      for (const line of frozen.lines("error")) {
        expect(line.message).toMatch(/^Run \S+ \(attempt \d+\): Tower did not take its outcome, which was dropped: /);
      }
      expect((await runsById(app, ids)).map(outcome)).toEqual(done.map(outcome));
      await thawer.stop();
    } finally {
      if (frozen.child.exitCode === null) frozen.child.kill("SIGCONT");
    }
  }, 60_000);
});

describe("work: Tower itself is frozen (SIGSTOP) past the leases, then thawed", () => {
  it("takes back none of the runs its agents held meanwhile: each completes on its first attempt", async () => {
    const ids = await enqueueRuns("through-a-stall", 3, 5);
    const release = path.join(dir, "release-steady");
    const steady = agentProcess({
      agent: "steady",
      label: "steady",
      concurrency: 3,
      behaviour: "hold",
      releaseFile: release,
    });
    await until(
      () => `the steady agent to be running all three runs\n${steady.output()}`,
      () => runsById(app, ids),
      heldBy("steady"),
    );
    server.child.kill("SIGSTOP");
    try {
      // Two leases and more: no agent can renew while Tower does not run.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
    } finally {
      server.child.kill("SIGCONT");
    }
    // A few sweeps after the thaw, with the agent's heartbeats in between.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    writeFileSync(release, "");
    const done = await until(
      () => `every run to be completed by the steady agent\n${steady.output()}`,
      () => runsById(app, ids),
      allSucceeded,
      30_000,
    );
    for (const run of done) expect(run).toMatchObject({ attempt: 1, agentName: "steady", error: null });
    expect(steady.lines("aborted")).toEqual([]);
    expect(steady.lines("error")).toEqual([]);
    await steady.stop();
  }, 60_000);
});
