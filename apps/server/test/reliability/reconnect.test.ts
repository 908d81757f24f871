import type { AuditEvent } from "@tower/shared";
import { createTowerClient } from "@tower/sdk";
import NodeWebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, waitFor, type TestServer } from "../harness";

let tower: TestServer;
beforeAll(async () => {
  tower = await startTestServer();
  await tower.owner.agent.create({ projectId: tower.projectId, name: "busy", role: "worker" });
});
afterAll(async () => {
  await tower.stop();
});

describe("reconnect: a dashboard's socket is cut again and again during ingest", () => {
  it("receives every event exactly once, in order", async () => {
    const sockets: NodeWebSocket[] = [];
    class Recording extends NodeWebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    }
    const dashboard = createTowerClient({
      url: tower.url,
      apiKey: tower.apiKey,
      WebSocket: Recording as unknown as typeof globalThis.WebSocket,
      retryDelayMs: () => 30,
    });
    const startId = String(
      (tower.deps.db.$client.prepare("select coalesce(max(id), 0) as id from audit_events").get() as { id: number }).id,
    );
    const received: AuditEvent[] = [];
    const subscription = dashboard.api.audit.onAppend.subscribe(
      { lastEventId: startId },
      { onData: ({ data }) => received.push(...(data as AuditEvent[])) },
    );
    await waitFor(() => sockets[0]?.readyState === NodeWebSocket.OPEN, "the dashboard to connect");

    const agent = createTowerClient({
      url: tower.url,
      apiKey: tower.apiKey,
      reporting: { flushIntervalMs: 5, maxBatch: 50 },
    });
    const busy = agent.agent("busy");
    let sent = 0;
    const produce = setInterval(() => {
      for (let i = 0; i < 20; i++, sent++) busy.event({ operation: "tool_use", target: `e-${sent}` });
    }, 10);
    for (let cut = 0; cut < 5; cut++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      sockets.at(-1)?.terminate();
    }
    clearInterval(produce);
    await waitFor(() => agent.reporter.pending === 0, "the agent's reports to be stored", 10_000);

    const stored = tower.deps.db.$client
      .prepare("select id from audit_events where id > ? and actor_name = 'busy' order by id")
      .pluck()
      .all(Number(startId)) as number[];
    expect(stored.length).toBe(sent);
    await waitFor(() => received.length >= stored.length, "the dashboard to catch up", 10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sockets.length).toBeGreaterThanOrEqual(6); // it really reconnected after every cut
    expect(received.map((event) => event.id)).toEqual(stored);
    subscription.unsubscribe();
    await agent.shutdown();
    dashboard.close();
  }, 60_000);
});
