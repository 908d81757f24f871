import { createTowerClient } from "@tower/sdk";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, waitFor, type TestServer } from "./harness";

let tower: TestServer;
beforeAll(async () => {
  tower = await startTestServer();
});
afterAll(async () => {
  await tower.stop();
});

it("an SDK agent on an agent key runs, reports, hears why its wider profile was ignored, and cannot undo a stop", async () => {
  const { projectId, owner } = tower;
  await owner.agent.create({ projectId, name: "bound", role: "researcher", allowedTools: ["web.search"] });
  const key = await owner.apiKey.create({ projectId, name: "bound's key", scopes: ["agent"], agentNames: ["bound"] });
  const client = createTowerClient({ url: tower.url, apiKey: key.secret, reporting: { flushIntervalMs: 10 } });
  const agent = client.agent("bound", { profile: { role: "researcher", allowedTools: ["*"] } });
  const warnings: string[] = [];
  agent.on("warning", (warning) => warnings.push(warning));
  await agent.start();
  expect(warnings).toEqual([
    "allowedTools was not changed: an agent key cannot change its agent's allowedTools; an operator can",
  ]);
  expect(agent.agent?.allowedTools).toEqual(["web.search"]);
  agent.event({ operation: "tool_use", target: "web.search" });
  await client.reporter.flush();
  const stored = tower.deps.db.$client
    .prepare("select count(*) as n from audit_events where actor_name = 'bound' and operation = 'tool_use'")
    .get() as { n: number };
  expect(stored.n).toBe(1);

  const disabled = new Promise((resolve) => agent.on("disabled", resolve));
  const [membership] = await owner.project.list();
  await owner.fleet.deactivateAll({ projectId, confirm: membership!.projectName });
  await disabled;
  await expect(client.api.fleet.activateAll.mutate({})).rejects.toThrow(/can only run its agents/);
  await expect(client.api.agent.setEnabled.mutate({ id: agent.agent!.id, enabled: true })).rejects.toThrow(
    /can only run its agents/,
  );
  await waitFor(() => agent.disabled, "the handle to know it is disabled");
  await client.shutdown();
});
