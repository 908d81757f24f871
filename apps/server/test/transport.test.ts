import type { ChangeEvent } from "@tower/shared";
import { createTowerClient, type AppRouter } from "@tower/sdk";
import { createTRPCClient, createWSClient, wsLink } from "@trpc/client";
import NodeWebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, waitFor, type TestServer } from "./harness";

let tower: TestServer;
beforeAll(async () => {
  tower = await startTestServer();
});
afterAll(async () => {
  await tower.stop();
});

/** A WebSocket class that remembers every socket the SDK opens, so a test can cut one. */
function recordingWebSocket() {
  const sockets: NodeWebSocket[] = [];
  class Recording extends NodeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  return { sockets, WebSocket: Recording as unknown as typeof globalThis.WebSocket };
}

describe("the SDK against the real server", () => {
  it("runs a query and a mutation over HTTP with an API key", async () => {
    const client = createTowerClient({ url: tower.url, apiKey: tower.apiKey });
    const created = await client.api.agent.create.mutate({
      name: "http-agent",
      role: "researcher",
    });
    expect(created.projectId).toBe(tower.projectId);
    const page = await client.api.agent.list.query({ q: "http-agent" });
    expect(page.items.map((agent) => agent.name)).toEqual(["http-agent"]);
    client.close();
  });

  it("refuses a bad key and names the problem", async () => {
    const client = createTowerClient({ url: tower.url, apiKey: "tower_not-a-real-key" });
    await expect(client.api.agent.list.query({})).rejects.toThrow(/API key|Sign in/);
    client.close();
  });

  it("streams changes, and after a dropped socket delivers exactly the ones it missed", async () => {
    const recorder = recordingWebSocket();
    const client = createTowerClient({
      url: tower.url,
      apiKey: tower.apiKey,
      WebSocket: recorder.WebSocket,
      retryDelayMs: () => 1_000,
    });
    const writer = createTowerClient({ url: tower.url, apiKey: tower.apiKey });
    const { lastEventId } = await writer.api.agent.list.query({ limit: 1 });

    const received: { id: string; event: ChangeEvent }[] = [];
    const subscription = client.api.agent.onChange.subscribe(
      { lastEventId },
      { onData: ({ id, data }) => received.push({ id, event: data }) },
    );
    await waitFor(() => recorder.sockets[0]?.readyState === NodeWebSocket.OPEN, "the socket to open");

    const live = await writer.api.agent.create.mutate({ name: "live-1", role: "coder" });
    await waitFor(() => received.length === 1, "the live change");
    expect(received[0]?.event).toMatchObject({
      op: "created",
      data: { id: live.id, name: "live-1" },
    });

    recorder.sockets[0]?.terminate();
    const missedA = await writer.api.agent.create.mutate({ name: "missed-1", role: "coder" });
    const missedB = await writer.api.agent.update.mutate({
      id: live.id,
      patch: { role: "reviewer" },
    });
    expect(recorder.sockets).toHaveLength(1);

    await waitFor(() => received.length >= 3, "the missed changes after reconnect");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(recorder.sockets).toHaveLength(2);
    expect(received.slice(1).map(({ event }) => [event.op, event.data.id])).toEqual([
      ["created", missedA.id],
      ["updated", missedB.id],
    ]);
    const ids = received.map(({ id }) => Number(id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);

    subscription.unsubscribe();
    client.close();
    writer.close();
  });

  it("resumes a new subscription from lastEventId with no gap and no duplicate", async () => {
    const writer = createTowerClient({ url: tower.url, apiKey: tower.apiKey });
    const { lastEventId } = await writer.api.agent.list.query({ limit: 1 });
    const a = await writer.api.agent.create.mutate({ name: "resume-a", role: "coder" });
    const b = await writer.api.agent.delete.mutate({ id: a.id }).catch((error: Error) => error);
    // An API key acts as an operator, so deleting needs an admin: refused, and nothing changes.
    expect(b).toBeInstanceOf(Error);
    const c = await writer.api.agent.update.mutate({ id: a.id, patch: { description: "resumed" } });

    const reader = createTowerClient({ url: tower.url, apiKey: tower.apiKey });
    const received: ChangeEvent[] = [];
    const subscription = reader.api.agent.onChange.subscribe(
      { lastEventId },
      { onData: ({ data }) => received.push(data) },
    );
    await waitFor(() => received.length === 2, "the two changes after lastEventId");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received.map((event) => [event.op, event.data.id])).toEqual([
      ["created", a.id],
      ["updated", c.id],
    ]);
    subscription.unsubscribe();
    reader.close();
    writer.close();
  });
});

describe("revocation", () => {
  it("ends a live subscription when its API key is revoked, and refuses the key afterwards", async () => {
    const key = await tower.owner.apiKey.create({
      projectId: tower.projectId,
      name: "short-lived",
      scopes: ["read"],
    });
    const client = createTowerClient({ url: tower.url, apiKey: key.secret });
    let completed = false;
    const subscription = client.api.agent.onChange.subscribe({}, { onComplete: () => (completed = true) });
    await client.api.agent.list.query({ limit: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await tower.owner.apiKey.revoke({ projectId: tower.projectId, id: key.id });
    await waitFor(() => completed, "the subscription to end");
    await expect(client.api.agent.list.query({})).rejects.toThrow(/This API key was revoked on /);
    subscription.unsubscribe();
    client.close();
  });
});

describe("revocation over an open WebSocket", () => {
  it("refuses calls on a socket whose key was revoked after it connected", async () => {
    const key = await tower.owner.apiKey.create({ projectId: tower.projectId, name: "socket-key", scopes: ["manage"] });
    const wsClient = createWSClient({
      url: `ws://127.0.0.1:${tower.port}/trpc`,
      WebSocket: NodeWebSocket as unknown as typeof globalThis.WebSocket,
      connectionParams: { apiKey: key.secret },
    });
    const api = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    expect((await api.agent.list.query({ limit: 1 })).items).toBeDefined();
    await tower.owner.apiKey.revoke({ projectId: tower.projectId, id: key.id });
    await expect(api.agent.create.mutate({ name: "after-revoke", role: "x" })).rejects.toThrow(/revoked/);
    await wsClient.close();
  });
});

describe("HTTP transport rules", () => {
  it("logs in with an httpOnly SameSite cookie that authenticates later calls", async () => {
    const response = await fetch(`${tower.url}/trpc/auth.logIn`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "owner@example.com", password: "correct horse battery" }),
    });
    expect(response.status).toBe(200);
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^tower_session=[\w-]+;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const me = await fetch(`${tower.url}/trpc/auth.me`, {
      headers: { cookie: cookie.split(";")[0]! },
    });
    const body = (await me.json()) as { result: { data: { user: { email: string } } } };
    expect(body.result.data.user.email).toBe("owner@example.com");
  });

  it("answers invalid input with a 400 that names the field", async () => {
    const response = await fetch(`${tower.url}/trpc/agent.create`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tower.apiKey}` },
      body: JSON.stringify({ name: "", role: "x", budgetCostUsdPerDay: -1 }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toContain("name:");
    expect(body.error.message).toContain("budgetCostUsdPerDay:");
  });

  it("refuses bodies and batches over the limits", async () => {
    const big = await fetch(`${tower.url}/trpc/agent.create`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tower.apiKey}` },
      body: JSON.stringify({ name: "big", role: "x", description: "x".repeat(2_000_000) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { message: string } }).error.message).toBe(
      "The request body is larger than 1,048,576 bytes; send less at once",
    );
    const paths = Array.from({ length: 101 }, () => "agent.list").join(",");
    const input = encodeURIComponent(
      JSON.stringify(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [i, {}]))),
    );
    const batch = await fetch(`${tower.url}/trpc/${paths}?batch=1&input=${input}`, {
      headers: { authorization: `Bearer ${tower.apiKey}` },
    });
    expect(batch.status).toBe(400);
  });

  it("answers repeated failed sign-ins with 429 and the time to wait", async () => {
    const attempt = () =>
      fetch(`${tower.url}/trpc/auth.logIn`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "guesser@example.com", password: "wrong password" }),
      });
    for (let i = 0; i < 10; i++) expect((await attempt()).status).toBe(401);
    const locked = await attempt();
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { error: { message: string } }).error.message).toMatch(/try again in \d+ s/);
  });

  it("serves liveness and readiness", async () => {
    expect((await fetch(`${tower.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${tower.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { database: "ok" } });
  });

  it("refuses cross-origin browser requests and WebSocket upgrades", async () => {
    const foreign = await fetch(`${tower.url}/trpc/auth.me`, {
      headers: { origin: "https://evil.example" },
    });
    expect(foreign.status).toBe(403);
    const allowed = await fetch(`${tower.url}/trpc/auth.me`, {
      headers: { origin: "http://dashboard.test" },
    });
    expect(allowed.status).toBe(200);

    const upgrade = (origin: string) =>
      new Promise<number>((resolve) => {
        const socket = new NodeWebSocket(`ws://127.0.0.1:${tower.port}/trpc`, { origin });
        socket.on("open", () => {
          socket.close();
          resolve(101);
        });
        socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        socket.on("error", () => resolve(-1));
      });
    expect(await upgrade("https://evil.example")).toBe(403);
    expect(await upgrade("http://dashboard.test")).toBe(101);
    // The server's own address is not allowed just because it matches the Host header.
    expect(await upgrade(`http://127.0.0.1:${tower.port}`)).toBe(403);
  });
});
