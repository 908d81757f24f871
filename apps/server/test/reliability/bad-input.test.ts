import { appRouter, type AppRouter } from "@tower/api";
import { createTRPCClient, createWSClient, wsLink } from "@trpc/client";
import net from "node:net";
import fc from "fast-check";
import NodeWebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_CALLS_ANSWERED } from "../../src/ws-batch-limit";
import { recordingLogger, startTestServer, waitFor, type TestServer } from "../harness";

let tower: TestServer;
const log = recordingLogger();
beforeAll(async () => {
  tower = await startTestServer({ logger: log.logger });
});
afterAll(async () => {
  await tower.stop();
});

/**
 * Every query and mutation of the API, straight from the router: new ones are covered without a
 * change here. (Subscriptions answer over HTTP as event streams; their input goes through the same
 * parsers and is exercised over WebSocket below.)
 */
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>)
  .map(([path, procedure]) => ({ path, type: procedure._def.type }))
  .filter((procedure) => procedure.type !== "subscription");

const tables = ["users", "projects", "agents", "api_keys", "invites", "teams", "agent_sessions", "metrics", "changes"];
const counts = () =>
  Object.fromEntries(
    tables.map((table) => [
      table,
      (tower.deps.db.$client.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n,
    ]),
  );

/** Calls a procedure with `input`, or with the JSON text given as a string. */
async function call(path: string, type: string, input: unknown, headers: Record<string, string> = {}) {
  const auth = { authorization: `Bearer ${tower.apiKey}`, ...headers };
  const json = typeof input === "string" ? input : JSON.stringify(input);
  if (type === "mutation") {
    return fetch(`${tower.url}/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: json,
    });
  }
  return fetch(`${tower.url}/trpc/${path}?input=${encodeURIComponent(json)}`, { headers: auth });
}

describe("malformed input to every procedure", () => {
  it("lists the whole API", () => {
    expect(procedures.length).toBeGreaterThan(45);
  });

  it("never answers 5xx, always names the problem, and changes nothing", async () => {
    const before = counts();
    // Values that are almost never valid input: wrong types, huge strings, deep nesting, odd keys.
    const nasty = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record({ projectId: fc.string(), id: fc.oneof(fc.integer(), fc.string({ maxLength: 3 })) }),
      fc.record({ name: fc.constant("x".repeat(5_000)), role: fc.integer() }),
      fc.record({ items: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }) }),
      // Any UTF-16 with a lone surrogate in it: refused by every procedure, never stored altered.
      // (Without one, the record can be a valid agent, which some seeds then create.)
      fc.record({
        name: fc.string({ unit: "binary" }).map((text) => `${text}\uD800`),
        role: fc.string({ unit: "binary" }),
        description: fc.string({ unit: "binary" }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...procedures), nasty, async ({ path, type }, input) => {
        const response = await call(path, type, input);
        const body = (await response.json()) as { error?: { message?: string } };
        if (response.status >= 400) {
          expect(response.status, `${path} ${JSON.stringify(input).slice(0, 200)}`).toBeLessThan(500);
          expect(body.error?.message, path).toBeTruthy();
        }
      }),
      { numRuns: 300, seed: 42 },
    );
    expect((await fetch(`${tower.url}/readyz`)).status).toBe(200);
    const after = counts();
    // Rejected items of random ingest batches never reach the tables.
    expect(after).toEqual(before);
  }, 120_000);
});

/** The JSON of `levels` objects (or arrays) inside one another; a test worker could not stringify it. */
function nestedJson(levels: number, kind: "object" | "array"): string {
  if (kind === "array") return "[".repeat(levels) + "]".repeat(levels);
  return '{"a":'.repeat(levels - 1) + "{}" + "}".repeat(levels - 1);
}

describe("deeply nested input to every procedure", () => {
  it("is refused with a 400 naming where, or for an ingest item, that item alone; never a 5xx or a stack overflow", async () => {
    const before = counts();
    const fields = ["metadata", "detail", "input", "name", "profile", "patch", "items", "files", "roleMix"];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...procedures),
        fc.constantFrom(...fields),
        fc.integer({ min: 33, max: 20_000 }),
        fc.constantFrom("object" as const, "array" as const),
        async ({ path, type }, field, levels, kind) => {
          // A query's input travels in the URL, which Node caps at 16 KiB of headers (13 bytes a level).
          const depth = type === "query" ? Math.min(levels, 800) : levels;
          const deep = nestedJson(depth, kind);
          const value = field === "items" ? `[{"kind":"event","id":"deep-0001","detail":${deep}}]` : deep;
          const response = await call(path, type, `{${JSON.stringify(field)}:${value}}`);
          const body = (await response.json()) as {
            error?: { message?: string };
            result?: { data?: { rejected?: number; results?: { reason?: string }[] } };
          };
          const label = `${path} ${field} ${depth} ${kind}`;
          expect(response.status, label).toBeLessThan(500);
          if (path === "ingest.report" && field === "items") {
            expect(body.result?.data?.results?.[0]?.reason, label).toMatch(/nested more than 32 levels deep/);
          } else {
            expect(response.status, label).toBe(400);
            expect(body.error?.message, label).toMatch(/nested more than 32 levels deep/);
          }
        },
      ),
      { numRuns: 150, seed: 7 },
    );
    expect(counts()).toEqual(before);
    expect(log.at("error"), "nothing logged as a server error").toEqual([]);
  }, 120_000);
});

describe("a __proto__ key anywhere in the input, to every procedure", () => {
  it("is refused with a 400 naming it: parsed objects drop it silently, so what was checked would not be what was sent", async () => {
    const before = counts();
    for (const { path, type } of procedures) {
      const response = await call(path, type, '{"input":{"cmd":"ls","__proto__":{"cmd":"rm -rf /"}}}');
      const body = (await response.json()) as { error?: { message?: string } };
      expect(response.status, path).toBe(400);
      expect(body.error?.message, path).toBe(
        'Invalid input: input.__proto__: is a key named "__proto__", which JavaScript objects cannot hold as data; rename it',
      );
    }
    expect(counts()).toEqual(before);
  });
});

describe("malformed URLs", () => {
  it("any path under /trpc/ with broken percent-escapes or odd characters is a 4xx, never a 5xx", async () => {
    const junk = fc.oneof(
      fc.constantFrom(
        "%ZZ",
        "%",
        "%E0%A4%A",
        "%C0",
        "%ED%A0%80",
        "%00",
        "%2",
        "/..",
        "//",
        "?input=%ZZ",
        "?input={",
        "?batch=1&input=[",
        "#",
      ),
      fc.string({ maxLength: 20 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...procedures), junk, junk, async ({ path }, before, after) => {
        const raw = `/trpc/${before}${path}${after}`;
        const response = await rawGet(raw);
        expect(response.status, raw).toBeGreaterThanOrEqual(400);
        expect(response.status, raw).toBeLessThan(500);
      }),
      { numRuns: 300, seed: 11 },
    );
    expect((await fetch(`${tower.url}/readyz`)).status).toBe(200);
    expect(log.at("error"), "nothing logged as a server error").toEqual([]);
  }, 120_000);

  it.each(["/trpc/agent.list%ZZ", "/trpc/%E0%A4%A", "/trpc/agent.list%"])(
    "%s is a 400 that says the path is malformed",
    async (raw) => {
      const response = await rawGet(raw);
      expect(response.status).toBe(400);
      expect(response.body).toMatch(/malformed percent-escape/);
    },
  );
});

/** A GET sent byte for byte as given (fetch would re-encode the path). */
function rawGet(target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(tower.port, "127.0.0.1", () => {
      socket.write(
        `GET ${target.replace(/[\s\u0080-\uffff]/gu, (c) => encodeURIComponent(c))} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tower.apiKey}\r\nConnection: close\r\n\r\n`,
      );
    });
    let data = "";
    socket.on("data", (chunk: Buffer) => (data += chunk.toString()));
    socket.on("end", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf("\r\n\r\n") + 4) });
    });
    socket.on("error", reject);
  });
}

/** An open WebSocket to the server, authenticated with the test's API key, and every reply it gets. */
async function openSocket() {
  const socket = new NodeWebSocket(`ws://127.0.0.1:${tower.port}/trpc?connectionParams=1`);
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  socket.send(JSON.stringify({ method: "connectionParams", data: { apiKey: tower.apiKey } }));
  const replies: { id: number | null; error?: { message: string }; result?: unknown }[] = [];
  socket.on("message", (data: Buffer) => {
    const text = data.toString();
    if (text !== "PING" && text !== "PONG") replies.push(JSON.parse(text) as (typeof replies)[number]);
  });
  const closed = new Promise<number>((resolve) => socket.once("close", (code: number) => resolve(code)));
  return { socket, replies, closed };
}

describe("WebSocket batches and bursts", () => {
  it("a message of more than 100 calls, to any procedure, starts none: each is refused under its own id", async () => {
    const queries = procedures.filter((procedure) => procedure.type === "query");
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...queries),
        fc.integer({ min: 101, max: MAX_CALLS_ANSWERED }),
        async ({ path }, n) => {
          const { socket, replies } = await openSocket();
          const calls = Array.from({ length: n }, (_, i) => ({
            id: i + 1,
            method: "query",
            params: { path, input: {} },
          }));
          socket.send(JSON.stringify(calls));
          socket.send(JSON.stringify({ id: 0, method: "query", params: { path: "auth.me" } }));
          // The call sent after it is answered, so the refusals came before.
          await waitFor(() => replies.some((reply) => reply.id === 0), "the next call's answer");
          socket.terminate();
          const refusals = replies.filter((reply) => reply.id !== 0);
          expect(refusals.map((reply) => reply.id)).toEqual(calls.map((call) => call.id));
          for (const reply of refusals) {
            expect(reply).toMatchObject({
              error: {
                message: `A WebSocket message may carry at most 100 calls; this one has ${n}, and none was started`,
                data: { code: "TOO_MANY_REQUESTS", path },
              },
            });
          }
        },
      ),
      { numRuns: 25, seed: 3 },
    );
  }, 120_000);

  it(`a message of more than ${MAX_CALLS_ANSWERED} calls closes the socket (1008), starting none`, async () => {
    const { socket, replies, closed } = await openSocket();
    const calls = Array.from({ length: MAX_CALLS_ANSWERED + 1 }, (_, i) => ({
      id: i + 1,
      method: "query",
      params: { path: "auth.me" },
    }));
    socket.send(JSON.stringify(calls));
    expect(await closed).toBe(1008);
    expect(replies).toEqual([]);
  });

  it("tRPC's own client, sending 150 calls in one turn, gets 150 refusals instead of waiting for ever", async () => {
    const wsClient = createWSClient({
      url: `ws://127.0.0.1:${tower.port}/trpc`,
      WebSocket: NodeWebSocket as unknown as typeof globalThis.WebSocket,
      connectionParams: { apiKey: tower.apiKey },
    });
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    try {
      await client.agent.list.query({}); // open
      const outcomes = await Promise.allSettled(Array.from({ length: 150 }, () => client.agent.list.query({})));
      expect(outcomes.every((outcome) => outcome.status === "rejected")).toBe(true);
      expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({
        message: expect.stringContaining("at most 100 calls"),
        data: { code: "TOO_MANY_REQUESTS" },
      });
      // The connection goes on: the next call, alone in its message, is answered.
      await expect(client.agent.list.query({})).resolves.toBeTruthy();
    } finally {
      await wsClient.close();
    }
  });

  it("a message of exactly 100 calls is answered call by call", async () => {
    const { socket, replies } = await openSocket();
    socket.send(
      JSON.stringify(
        Array.from({ length: 100 }, (_, i) => ({ id: i + 1, method: "query", params: { path: "auth.me" } })),
      ),
    );
    await waitFor(() => replies.length === 100, "100 answers");
    expect(new Set(replies.map((reply) => reply.id)).size).toBe(100);
    socket.terminate();
  });

  it("past 100 calls waiting for an answer on one connection, the next are refused with TOO_MANY_REQUESTS", async () => {
    const { socket, replies } = await openSocket();
    // Ingest calls wait for the writer thread's commit, so they pile up; 3 messages of 100 at once.
    const batch = (m: number) =>
      Array.from({ length: 100 }, (_, i) => ({
        id: m * 100 + i + 1,
        method: "mutation",
        params: {
          path: "ingest.report",
          input: { items: [{ kind: "event", id: `burst-${m}-${i}-x`, agent: "nobody", operation: "tool_use" }] },
        },
      }));
    for (let m = 0; m < 3; m++) socket.send(JSON.stringify(batch(m)));
    await waitFor(() => replies.length === 300, "an answer to every call");
    const refused = replies.filter((reply) => reply.error?.message.startsWith("At most 100 calls may wait"));
    expect(refused.length).toBeGreaterThan(0);
    expect(replies.filter((reply) => reply.result).length).toBeGreaterThanOrEqual(100);
    socket.terminate();
  });

  it("invalid UTF-8 (1007) and an oversized message (1009) close that socket and are logged as warnings, not errors", async () => {
    const errorsBefore = log.at("error").length;
    const warningsBefore = log.at("warn").length;
    const bad = await openSocket();
    bad.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await bad.closed).toBe(1007);
    const big = await openSocket();
    big.socket.send(Buffer.alloc(2_000_000, 0x61), { binary: false });
    expect(await big.closed).toBe(1009);
    await waitFor(() => log.at("warn").length >= warningsBefore + 2, "two warnings");
    expect(
      log
        .at("warn")
        .slice(warningsBefore)
        .map((line) => line.msg),
    ).toEqual(["client sent an invalid WebSocket frame", "client sent an invalid WebSocket frame"]);
    expect(log.at("error").length).toBe(errorsBefore);
  });
});

describe("malformed requests", () => {
  const post = (body: string, contentType = "application/json") =>
    fetch(`${tower.url}/trpc/agent.create`, {
      method: "POST",
      headers: { "content-type": contentType, authorization: `Bearer ${tower.apiKey}` },
      body,
    });

  it("broken JSON is a 400 that says so", async () => {
    const response = await post('{"name": "x", ');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/JSON|parse/i);
  });

  it("a wrong content type is a 4xx", async () => {
    const response = await post("name=x&role=y", "application/x-www-form-urlencoded");
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it("an ingest batch over the item limit is refused whole with a 400 naming items", async () => {
    const items = Array.from({ length: 1_001 }, (_, i) => ({ kind: "event", id: `over-limit-${i}`, agent: "a" }));
    const response = await fetch(`${tower.url}/trpc/ingest.report`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tower.apiKey}` },
      body: JSON.stringify({ items }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/items/);
  });

  it("WebSocket garbage closes nothing but that socket, and the server stays up", async () => {
    const socket = new NodeWebSocket(`ws://127.0.0.1:${tower.port}/trpc`);
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    const replies: string[] = [];
    socket.on("message", (data: Buffer) => replies.push(data.toString()));
    for (const garbage of ["not json", "{}", '{"id":1,"method":"nope"}', "[1,2,3]", "\u0000\u0001"]) {
      socket.send(garbage);
    }
    socket.send(Buffer.alloc(2_000_000, 1)); // over the message size limit
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.terminate();
    // Each malformed message gets a parse error back; none takes the server down.
    expect(replies.filter((reply) => reply.includes("PARSE_ERROR")).length).toBeGreaterThanOrEqual(5);
    expect((await fetch(`${tower.url}/readyz`)).status).toBe(200);
  });
});
