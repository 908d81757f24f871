import { appRouter } from "@tower/api";
import fc from "fast-check";
import NodeWebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../harness";

let tower: TestServer;
beforeAll(async () => {
  tower = await startTestServer();
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

async function call(path: string, type: string, input: unknown, headers: Record<string, string> = {}) {
  const auth = { authorization: `Bearer ${tower.apiKey}`, ...headers };
  if (type === "mutation") {
    return fetch(`${tower.url}/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(input),
    });
  }
  return fetch(`${tower.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: auth });
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
