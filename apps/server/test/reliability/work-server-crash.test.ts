// Work at process level: the server is SIGKILLed with runs in every state and a per-second cron
// schedule due, then restarted on the same SQLite file. Nothing may be lost, no run may stay held
// by a dead lease, and no schedule may fire twice.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb } from "@tower/db";
import { createTowerClient, type Run, type RunAssignment, type TowerClient } from "@tower/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, prepareDatabase, startServerProcess, type ServerProcess } from "./server-process";
import { killProcess, runsById, startAgentProcess, until, type AgentProcess } from "./work-process";

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-work-server-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LEASE = { TOWER_RUN_LEASE_MS: "1500" };

interface StoredRun {
  id: string;
  status: string;
  attempt: number;
  agent_name: string | null;
  progress: number | null;
  lease_expires_at: number | null;
  scheduled_for: number | null;
  output: string | null;
  finished_at: number | null;
}

/** What the killed server left in the file: every run, and the cron task's stored fire times. */
function readFile(file: string, cronTaskId: string) {
  const handle = createDb(file);
  try {
    const runs = handle.sqlite
      .prepare(
        "select id, status, attempt, agent_name, progress, lease_expires_at, scheduled_for, output, finished_at from runs",
      )
      .all() as StoredRun[];
    const task = handle.sqlite
      .prepare("select next_fire_at, last_fired_at from tasks where id = ?")
      .get(cronTaskId) as { next_fire_at: number | null; last_fired_at: number | null };
    return { runs: new Map(runs.map((run) => [run.id, run])), task };
  } finally {
    handle.close();
  }
}

const cronRuns = async (client: TowerClient, taskId: string) =>
  (await client.api.run.list.query({ taskId, limit: 200 })).items;

describe("work: the server is SIGKILLed with runs in every state and a schedule due", () => {
  it("loses nothing, takes back what dead leases held, and fires no schedule twice", async () => {
    const file = path.join(dir, "work.sqlite");
    const release = path.join(dir, "release");
    const { apiKey } = await prepareDatabase(file, ["keeper", "goner", "grabber"]);
    const port = await freePort();
    let server: ServerProcess = await startServerProcess(file, port, LEASE);
    const app = createTowerClient({ url: server.url, apiKey, retryDelayMs: () => 200 });
    const grabberClient = createTowerClient({ url: server.url, apiKey });
    const processes: AgentProcess[] = [];
    try {
      // Tasks: "steady" is retried at once after a lapse (attempts to spare: on a loaded machine a
      // heartbeat may come late), "flaky" fails for good, "parked" and the per-second "tick" are for
      // a role no agent has, so their runs wait in the queue: the tick's for a second only, since a
      // schedule whose run still waits makes no other.
      const worker = { kind: "role", value: "worker" } as const;
      const nobody = { kind: "role", value: "nobody" } as const;
      await app.api.task.create.mutate({ name: "steady", target: worker, maxAttempts: 10, backoffSeconds: 0 });
      await app.api.task.create.mutate({ name: "flaky", target: worker, maxAttempts: 1 });
      await app.api.task.create.mutate({ name: "parked", target: nobody });
      const tick = await app.api.task.create.mutate({
        name: "tick",
        target: nobody,
        cron: "* * * * * *",
        missedFires: "run_once",
        queuedTtlSeconds: 1,
      });

      // The keeper survives the crash and reconnects; concurrency 1, so the goner and the grabber
      // get the runs enqueued while it is busy.
      const keeper = startAgentProcess({
        url: server.url,
        apiKey,
        agent: "keeper",
        label: "keeper",
        releaseFile: release,
      });
      processes.push(keeper);
      const byId = (id: string) => app.api.run.byId.query({ id });

      const quick = await app.tasks.enqueue("steady", { mode: "quick" });
      await until(
        () => `a quick run to succeed\n${keeper.output()}`,
        () => byId(quick.id),
        (run) => run.status === "succeeded",
      );
      const failing = await app.tasks.enqueue("flaky", { mode: "fail" });
      await until(
        "a run to fail",
        () => byId(failing.id),
        (run) => run.status === "failed",
      );
      const waiting = await app.tasks.enqueue("parked");
      const cancelled = await app.tasks.enqueue("parked");
      expect((await app.api.run.cancel.mutate({ id: cancelled.id })).status).toBe("cancelled");

      const running = (agent: string) => (run: Run) =>
        run.status === "running" && run.agentName === agent && run.progress === 40;
      const keptRun = await app.tasks.enqueue("steady", { mode: "hold" });
      await until("the keeper to be running a run", () => byId(keptRun.id), running("keeper"));
      const goner = startAgentProcess({
        url: server.url,
        apiKey,
        agent: "goner",
        label: "goner",
        releaseFile: release,
      });
      processes.push(goner);
      const gonerRun = await app.tasks.enqueue("steady", { mode: "hold" });
      await until(
        () => `the goner to be running a run\n${goner.output()}`,
        () => byId(gonerRun.id),
        running("goner"),
      );
      const ended = await runsById(app, [quick.id, failing.id, cancelled.id]);
      await until(
        "the schedule to have fired a few times",
        () => cronRuns(app, tick.id),
        (runs) => runs.length >= 2,
      );

      // The grabber (this process, speaking the agent protocol itself) claims a run and never
      // starts it: the server is killed while the run is leased, and the goner with it.
      const steadyQueued = await app.tasks.enqueue("steady", { mode: "hold" });
      let grabbed: Run | undefined;
      const killed = new Promise<void>((resolve) => {
        const subscription = grabberClient.api.run.assignments.subscribe(
          { agent: "grabber", concurrency: 1 },
          {
            onData: (assignment: RunAssignment) => {
              if (assignment.type !== "run" || grabbed) return;
              grabbed = assignment.run;
              server.child.kill("SIGKILL");
              goner.child.kill("SIGKILL");
              subscription.unsubscribe();
              grabberClient.close();
              resolve();
            },
          },
        );
      });
      await killed;
      await server.exited;
      await goner.exited;
      expect(grabbed?.id).toBe(steadyQueued.id);

      // The file holds every run in the state the server last acknowledged.
      const atCrash = readFile(file, tick.id);
      const stored = (id: string) => atCrash.runs.get(id);
      expect(stored(quick.id)).toMatchObject({ status: "succeeded", attempt: 1, agent_name: "keeper" });
      expect(stored(failing.id)).toMatchObject({ status: "failed", attempt: 1, agent_name: "keeper" });
      expect(stored(waiting.id)).toMatchObject({ status: "queued", attempt: 1 });
      expect(stored(cancelled.id)).toMatchObject({ status: "cancelled" });
      expect(stored(keptRun.id)).toMatchObject({ status: "running", agent_name: "keeper", progress: 40 });
      expect(stored(gonerRun.id)).toMatchObject({ status: "running", agent_name: "goner", progress: 40 });
      expect(stored(steadyQueued.id)).toMatchObject({ status: "leased", attempt: 1, agent_name: "grabber" });
      // The schedule: one run per fire, and the next fire stored after the last one made.
      const firedBefore = [...atCrash.runs.values()].filter((run) => run.scheduled_for !== null);
      const firesBefore = firedBefore.map((run) => run.scheduled_for!).sort((a, b) => a - b);
      expect(firesBefore.length).toBeGreaterThanOrEqual(2);
      expect(new Set(firesBefore).size).toBe(firesBefore.length);
      expect(atCrash.task.last_fired_at).toBe(firesBefore.at(-1));
      const storedNext = atCrash.task.next_fire_at!;
      expect(storedNext).toBeGreaterThan(atCrash.task.last_fired_at!);
      expect(storedNext % 1000).toBe(0);

      server = await startServerProcess(file, port, LEASE);
      writeFileSync(release, "");

      // The held runs: the goner's and the grabber's leases lapse and the keeper, reconnected,
      // completes them; the keeper's own run is completed by it, on whichever attempt holds it.
      const heldIds = [keptRun.id, gonerRun.id, steadyQueued.id];
      const done = await until(
        () => `the held runs to be completed after the restart\n${keeper.output()}\n${server.output()}`,
        () => runsById(app, heldIds),
        (runs) => runs.every((run) => run.status === "succeeded"),
        40_000,
      );
      const [kept, gonerDone, grabbedDone] = done;
      for (const run of done) {
        expect(run).toMatchObject({ agentName: "keeper", error: null, leaseExpiresAt: null });
        // The one completion stored is that of the attempt the run was on: exactly once.
        expect(run.output).toEqual({ by: "keeper", pid: keeper.pid, runId: run.id, attempt: run.attempt });
      }
      // The dead holders' runs were taken back: a later attempt than the one held at the crash.
      expect(gonerDone!.attempt).toBeGreaterThan(stored(gonerRun.id)!.attempt);
      expect(grabbedDone!.attempt).toBeGreaterThan(1);
      expect(kept!.attempt).toBeGreaterThanOrEqual(stored(keptRun.id)!.attempt);

      // The ended runs are as they were; the queued one still waits; nothing is held any more.
      expect(await runsById(app, [quick.id, failing.id, cancelled.id])).toEqual(ended);
      expect((await byId(waiting.id)).status).toBe("queued");
      const everything = (await app.api.run.list.query({ limit: 200 })).items;
      expect(everything.filter((run) => run.status === "leased" || run.status === "running")).toEqual([]);

      // The schedule picks up at the fire it had stored: none made twice, none before it made again.
      const after = await until(
        "the schedule to fire again after the restart",
        () => cronRuns(app, tick.id),
        (runs) => runs.filter((run) => run.scheduledFor! > storedNext).length >= 1,
      );
      const firesAfter = after.map((run) => run.scheduledFor!).sort((a, b) => a - b);
      expect(new Set(firesAfter).size).toBe(firesAfter.length);
      expect(after.every((run) => run.trigger === "schedule" && run.scheduledFor! % 1000 === 0)).toBe(true);
      for (const before of firedBefore) {
        expect(after.find((run) => run.id === before.id)?.scheduledFor).toBe(before.scheduled_for);
      }
      const newFires = firesAfter.filter((at) => !firesBefore.includes(at));
      expect(newFires[0]).toBe(storedNext);
      expect(firesAfter.filter((at) => at <= atCrash.task.last_fired_at!)).toEqual(firesBefore);
    } finally {
      grabberClient.close();
      app.close();
      await Promise.all(processes.map((agent) => killProcess(agent.child, agent.exited)));
      await killProcess(server.child, server.exited, "SIGTERM");
    }
  }, 90_000);
});
