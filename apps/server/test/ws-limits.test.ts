import { once } from "node:events";
import { createIngestThrottle } from "@tower/api";
import { callerFor } from "@tower/api/testing";
import { LIMITS } from "@tower/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger, startTestServer, waitFor, type TestServer } from "./harness";
import WebSocket from "ws";
import { openRawSocket, type RawSocket } from "./raw-socket";

let tower: TestServer;
const log = recordingLogger();
beforeAll(async () => {
  tower = await startTestServer({ logger: log.logger, connectionParamsGraceMs: 300 });
});
afterAll(async () => {
  await tower.stop();
});

/** A fresh key per test, so no test's sockets count against another's. */
async function newKey(name: string) {
  const key = await tower.owner.apiKey.create({ projectId: tower.projectId, name, scopes: ["manage"] });
  return key.secret;
}

const onChange = (lastEventId: string | null = null) => ({ projectId: tower.projectId, lastEventId });

describe("subscriptions per socket", () => {
  it(`holds ${LIMITS.wsSubscriptionsPerSocket} on one socket, refuses the next until one stops`, async () => {
    const client = await openRawSocket(tower.url, await newKey("subscriptions"));
    for (let id = 1; id <= LIMITS.wsSubscriptionsPerSocket; id++) client.subscribe(id, "agent.onChange", onChange());
    for (let id = 1; id <= LIMITS.wsSubscriptionsPerSocket; id++) {
      expect((await client.answer(id)).result?.type).toBe("started");
    }

    client.subscribe(1_000, "agent.onChange", onChange());
    const refused = await client.answer(1_000);
    expect(refused.error?.data?.code).toBe("TOO_MANY_REQUESTS");
    expect(refused.error?.message).toBe(
      "At most 100 subscriptions may be open on one connection; stop one before starting another",
    );

    client.stop(1);
    await client.waitFor((m) => m.id === 1 && m.result?.type === "stopped", "subscription 1 to stop");
    client.subscribe(1_001, "agent.onChange", onChange());
    expect((await client.answer(1_001)).result?.type).toBe("started");
    await client.close();
  });
});

describe("sockets per credential", () => {
  it(`admits ${LIMITS.wsSocketsPerCredential} sockets with one key and closes the next with 4029 and why`, async () => {
    const key = await newKey("sockets");
    const sockets: RawSocket[] = [];
    for (let i = 0; i < LIMITS.wsSocketsPerCredential; i++) sockets.push(await openRawSocket(tower.url, key));
    // Each is admitted: it answers a call.
    await Promise.all(
      sockets.map(async (socket) => {
        socket.query(1, "agent.list", { projectId: tower.projectId, limit: 1 });
        expect((await socket.answer(1)).result?.type).toBe("data");
      }),
    );

    const extra = await openRawSocket(tower.url, key);
    expect(await extra.closed).toEqual({
      code: 4029,
      reason: "Too many connections with this credential (at most 100)",
    });
    expect(log.at("warn").some((line) => line.msg.includes("too many open with one credential"))).toBe(true);

    // Another credential is not affected.
    const other = await openRawSocket(tower.url, await newKey("sockets-other"));
    other.query(1, "agent.list", { projectId: tower.projectId, limit: 1 });
    expect((await other.answer(1)).result?.type).toBe("data");
    await other.close();

    // A closed socket frees its place.
    await sockets.pop()!.close();
    const again = await openRawSocket(tower.url, key);
    again.query(1, "agent.list", { projectId: tower.projectId, limit: 1 });
    expect((await again.answer(1)).result?.type).toBe("data");
    await Promise.all([again, ...sockets].map((socket) => socket.close()));
  });
});

describe("sockets without a credential", () => {
  it(`admits ${LIMITS.wsSocketsPerCredential} from one address and closes the next with 4029 and why`, async () => {
    const open = async () => {
      const socket = new WebSocket(`${tower.url.replace(/^http/, "ws")}/trpc`);
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
      );
      socket.on("error", () => {});
      await once(socket, "open");
      return { socket, closed };
    };
    const sockets = [];
    for (let i = 0; i < LIMITS.wsSocketsPerCredential; i++) sockets.push(await open());
    const extra = await open();
    expect(await extra.closed).toEqual({
      code: 4029,
      reason: "Too many connections without a credential from this address (at most 100)",
    });
    // One closed frees a place.
    const first = sockets.shift()!;
    first.socket.close();
    await first.closed;
    const again = await open();
    const stillOpen = await Promise.race([
      again.closed,
      new Promise((resolve) => setTimeout(() => resolve("open"), 300)),
    ]);
    expect(stillOpen).toBe("open");
    for (const { socket } of [again, ...sockets]) socket.close();
  });
});

describe("a socket that says it will send its connection parameters", () => {
  it("is closed with 4408 and why when they do not come in time; one that sends them stays", async () => {
    const silent = new WebSocket(`${tower.url.replace(/^http/, "ws")}/trpc?connectionParams=1`);
    silent.on("error", () => {});
    const closed = new Promise<[number, string]>((resolve) =>
      silent.once("close", (code, reason) => resolve([code, reason.toString()])),
    );
    const keyed = await openRawSocket(tower.url, await newKey("params-in-time"));
    expect(await closed).toEqual([4408, "No connection parameters within 0.3 s"]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    keyed.query(1, "agent.list", { projectId: tower.projectId, limit: 1 });
    expect((await keyed.answer(1)).result?.type).toBe("data");
    await keyed.close();
  });
});

describe("a client that stops reading", () => {
  it("is cut off with 4008 and why, and resumes from its last event id with exactly what it missed", async () => {
    const key = await newKey("slow");
    // Reports go in as fast as the test sends them (in process, past the HTTP body limit): the
    // ingest limit is not what is tested here.
    const reporter = callerFor(
      { ...tower.deps, ingestThrottle: createIngestThrottle({ itemsPerSecond: 1_000_000 }) },
      { apiKey: key },
    );
    const storedIds = (after: number) =>
      tower.deps.db.$client
        .prepare("select id from audit_events where project_id = ? and id > ? order by id")
        .pluck()
        .all(tower.projectId, after) as number[];
    await tower.owner.agent.create({ projectId: tower.projectId, name: "slow-agent", role: "worker" });
    const start = storedIds(0).at(-1) ?? 0;

    const slow = await openRawSocket(tower.url, key);
    slow.subscribe(1, "audit.onAppend", onChange(String(start)));
    expect((await slow.answer(1)).result?.type).toBe("started");
    slow.socket.pause(); // stops reading: what the server sends piles up on its side
    const healthy = await openRawSocket(tower.url, key);
    healthy.subscribe(1, "audit.onAppend", onChange(String(start)));
    expect((await healthy.answer(1)).result?.type).toBe("started");

    // 12 MB a call: a paused socket passes the 4 MiB bound once the kernel's buffers are full.
    let sent = 0;
    const cutOff = () => log.at("warn").some((line) => line.msg.includes("websocket client cut off"));
    for (let call = 0; call < 20 && !cutOff(); call++) {
      const items = Array.from({ length: 1_000 }, () => ({
        kind: "event" as const,
        id: `slow-${String(sent++).padStart(8, "0")}`,
        agent: "slow-agent",
        operation: "tool_use",
        detail: { blob: "x".repeat(12_000) },
      }));
      await reporter.ingest.report({ projectId: tower.projectId, items });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(cutOff()).toBe(true);

    // Read again at once: what was sent, then the close frame (before the 1 s grace ends).
    slow.socket.resume();
    expect(await slow.closed).toEqual({
      code: 4008,
      reason: "Too slow: over 4 MiB unread; reconnect and resume from lastEventId",
    });
    const all = storedIds(start);
    await waitFor(() => healthy.data(1).at(-1)?.result?.id === String(all.at(-1)), "the healthy socket to catch up");
    const rowIds = (socket: RawSocket) =>
      socket.data(1).flatMap((m) => (m.result!.data as { data: { id: number }[] }).data.map((row) => row.id));
    expect(rowIds(healthy)).toEqual(all);

    // It reconnects and resumes after the last event it read: exactly the rest, once each.
    const readUpTo = slow.data(1).at(-1)?.result?.id ?? String(start);
    const seen = rowIds(slow);
    expect(seen).toEqual(all.slice(0, seen.length));
    const resumed = await openRawSocket(tower.url, key);
    resumed.subscribe(1, "audit.onAppend", onChange(readUpTo));
    await waitFor(() => resumed.data(1).at(-1)?.result?.id === String(all.at(-1)), "the resumed socket to catch up");
    expect([...seen, ...rowIds(resumed)]).toEqual(all);
    await Promise.all([healthy.close(), resumed.close()]);
  });
});

describe("subscriptions only over WebSocket", () => {
  it("refuses a subscription over HTTP (server-sent events), where none of these caps apply", async () => {
    const input = encodeURIComponent(JSON.stringify(onChange()));
    const response = await fetch(`${tower.url}/trpc/agent.onChange?input=${input}`, {
      headers: { authorization: `Bearer ${tower.apiKey}` },
    });
    // The answer ends at once with the refusal, instead of staying open as a stream.
    const body = await Promise.race([
      response.text(),
      new Promise<string>((resolve) => setTimeout(() => resolve("still streaming after 5 s"), 5_000)),
    ]);
    expect(body).toMatch(/METHOD_NOT_SUPPORTED/);
  });
});
