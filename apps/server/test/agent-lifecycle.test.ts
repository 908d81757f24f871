import { spawn } from "node:child_process";
import { once } from "node:events";
import type { Agent } from "@tower/shared";
import { createTowerClient } from "@tower/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, waitFor, type TestServer } from "./harness";

let tower: TestServer;
beforeAll(async () => {
  tower = await startTestServer();
});
afterAll(async () => {
  await tower.stop();
});

describe("an SDK agent's lifecycle against the real server", () => {
  it("starts a session, is disabled from another client, is refused, and resumes when enabled", async () => {
    const client = createTowerClient({ url: tower.url, apiKey: tower.apiKey });
    const scout = client.agent("scout", { profile: { role: "researcher", allowedTools: ["web.search"] } });
    const seen: string[] = [];
    scout.on("disabled", () => seen.push("disabled"));
    scout.on("enabled", () => seen.push("enabled"));

    const session = await scout.start();
    const started = await tower.owner.agent.byName({ projectId: tower.projectId, name: "scout" });
    expect(started.status).toBe("idle");
    expect(started.sessionsCount).toBe(1);
    await scout.setStatus("busy");
    expect((await tower.owner.agent.byId({ projectId: tower.projectId, id: started.id })).status).toBe("busy");
    await scout.report({ success: true, executionMs: 1200, tokens: 300, costUsd: 0.01 });

    // Give the handle's live subscription a moment to be established before disabling.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await tower.owner.agent.setEnabled({ projectId: tower.projectId, id: started.id, enabled: false });
    await waitFor(() => seen.includes("disabled"), "the SDK to hear it was disabled");
    expect(scout.disabled).toBe(true);
    await expect(scout.report({ success: true, executionMs: 1 })).rejects.toThrow(/disabled by an operator/);
    await expect(
      client.api.session.report.mutate({ sessionId: session.id, success: true, executionMs: 1 }),
    ).rejects.toThrow(/"scout" is disabled/);
    await expect(client.api.session.start.mutate({ name: "scout" })).rejects.toThrow(/"scout" is disabled/);
    const sessions = await tower.owner.session.list({ projectId: tower.projectId, agentId: started.id });
    expect(sessions.items[0]).toMatchObject({ id: session.id, endReason: "disabled", runs: 1, tokens: 300 });

    await tower.owner.agent.setEnabled({ projectId: tower.projectId, id: started.id, enabled: true });
    await waitFor(() => seen.includes("enabled"), "the SDK to hear it was enabled");
    await waitFor(() => scout.session !== null && scout.session.id !== session.id, "a new session");
    const resumed: Agent = await tower.owner.agent.byId({ projectId: tower.projectId, id: started.id });
    expect(resumed.status).toBe("idle");
    expect(resumed.sessionsCount).toBe(2);
    expect(resumed.runsCount).toBe(1);

    await client.shutdown();
    const stopped = await tower.owner.agent.byId({ projectId: tower.projectId, id: started.id });
    expect(stopped.status).toBe("offline");
    const history = await tower.owner.session.list({ projectId: tower.projectId, agentId: started.id });
    expect(history.items.map((s) => s.endReason)).toEqual(["stopped", "disabled"]);
  });
});

describe("process exit", () => {
  it("opens one session when start() is called twice at once", async () => {
    const client = createTowerClient({ url: tower.url, apiKey: tower.apiKey });
    const twice = client.agent("twice", { profile: { role: "worker" } });
    const errors: string[] = [];
    twice.on("error", (error) => errors.push(error.message));
    const [a, b] = await Promise.all([twice.start(), twice.start()]);
    expect(b.id).toBe(a.id);
    expect((await tower.owner.agent.byName({ projectId: tower.projectId, name: "twice" })).sessionsCount).toBe(1);
    await client.shutdown();
    expect(errors).toEqual([]);
  });

  it("ends the session when the agent process is terminated", async () => {
    const child = spawn(
      process.execPath,
      ["--conditions=@tower/source", "--import", "tsx", "test/fixtures/agent-process.ts"],
      {
        env: { ...process.env, TOWER_URL: tower.url, TOWER_API_KEY: tower.apiKey, AGENT_NAME: "short-lived" },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes("started"), "the agent process to start", 15_000);
    const agent = await tower.owner.agent.byName({ projectId: tower.projectId, name: "short-lived" });
    expect(agent.status).toBe("idle");

    child.kill("SIGTERM");
    const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    // The SDK re-raises the signal after cleaning up, so the process still ends by SIGTERM.
    expect({ code, signal }).toEqual({ code: null, signal: "SIGTERM" });
    const sessions = await tower.owner.session.list({ projectId: tower.projectId, agentId: agent.id });
    expect(sessions.items[0]?.endReason).toBe("process_exit");
    expect((await tower.owner.agent.byId({ projectId: tower.projectId, id: agent.id })).status).toBe("offline");
  });
});
