// Work at process level: an operator cancels, over HTTP with an operator key, a run an agent
// process is working on. The server runs with a long lease (the SDK heartbeats every lease / 3), so
// the agent can only learn of the cancel in time through Tower's push over its live connection.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTowerClient, type TowerClient } from "@tower/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, prepareDatabase, startServerProcess, type ServerProcess } from "./server-process";
import { killProcess, refusal, startAgentProcess, until, type AgentProcess } from "./work-process";

/** Heartbeats every 40 s: far beyond the wait below, so a cancel seen in time was pushed. */
const LEASE_MS = 120_000;
/** How long the handler may take to see the cancel (generous; the push takes milliseconds). */
const SEE_CANCEL_WITHIN_MS = 20_000;

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-work-cancel-"));
let server: ServerProcess;
let apiKey: string;
let operator: TowerClient;
let agent: AgentProcess | undefined;

beforeAll(async () => {
  const file = path.join(dir, "work.sqlite");
  ({ apiKey } = await prepareDatabase(file, ["listener"]));
  server = await startServerProcess(file, await freePort(), { TOWER_RUN_LEASE_MS: String(LEASE_MS) });
  operator = createTowerClient({ url: server.url, apiKey });
}, 60_000);

afterAll(async () => {
  if (agent) await killProcess(agent.child, agent.exited);
  operator?.close();
  if (server) await killProcess(server.child, server.exited, "SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

describe("work: an operator cancels a run an agent process is working on", () => {
  it("aborts the handler's run.signal at once, and the run ends cancelled", async () => {
    await operator.api.task.create.mutate({ name: "long-haul", target: { kind: "agent", value: "listener" } });
    agent = startAgentProcess({ url: server.url, apiKey, agent: "listener", label: "listener", behaviour: "hold" });
    const queued = await operator.tasks.enqueue("long-haul");
    const byId = () => operator.api.run.byId.query({ id: queued.id });
    await until(
      () => `the agent to be running the run\n${agent!.output()}`,
      byId,
      (run) => run.status === "running" && run.progress === 40,
    );
    expect(agent.lines("aborted")).toEqual([]);

    const asked = await operator.api.run.cancel.mutate({ id: queued.id });
    // Held by an agent: marked, and ended by the agent when it stops.
    expect(asked).toMatchObject({ status: "running", cancelRequested: true });

    const [aborted] = await until(
      () => `the handler to see the cancel\n${agent!.output()}`,
      () => agent!.lines("aborted"),
      (lines) => lines.length > 0,
      SEE_CANCEL_WITHIN_MS,
    );
    expect(aborted).toMatchObject({ runId: queued.id, attempt: 1, reason: "Cancelled by an operator" });
    const run = await until("the run to end", byId, (r) => r.status === "cancelled");
    expect(run).toMatchObject({ status: "cancelled", attempt: 1, error: "stopped as asked", output: null });
    expect(agent.lines("returned")).toEqual([]);
    // Ended: a second cancel is refused, and so is a late report from the agent.
    expect(await refusal(operator.api.run.cancel.mutate({ id: queued.id }))).toBe("CONFLICT");
    expect(await refusal(operator.api.run.complete.mutate({ id: queued.id, attempt: 1, output: "late" }))).toBe(
      "CONFLICT",
    );
    expect((await byId()).status).toBe("cancelled");

    // The agent process is still working: it takes the next run.
    const next = await operator.tasks.enqueue("long-haul");
    await until(
      "the agent to take the next run",
      () => operator.api.run.byId.query({ id: next.id }),
      (r) => r.status === "running" && r.agentName === "listener",
    );
    await agent.stop();
  }, 60_000);
});
