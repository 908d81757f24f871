import http from "node:http";
import type { AddressInfo } from "node:net";
import { REPORT_ITEMS_HEADER } from "@tower/shared";
import { createTowerClient } from "@tower/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness";

/**
 * Report batches sent with their item count (REPORT_ITEMS_HEADER, as the SDK sends them) reach the
 * ingest writer's thread unparsed; the server's event loop never parses them. Over real HTTP.
 */
let tower: TestServer;
beforeAll(async () => {
  tower = await startTestServer();
});
afterAll(async () => {
  await tower.stop();
});

const event = (id: string, extra: Record<string, unknown> = {}) => ({
  kind: "event",
  id,
  agent: "raw-agent",
  operation: "tool_use",
  target: "web.search",
  ...extra,
});

async function report(body: string | Uint8Array, headers: Record<string, string> = {}, query = "") {
  const response = await fetch(`${tower.url}/trpc/ingest.report${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${tower.apiKey}`, ...headers },
    body,
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tRPC's answer, read field by field below
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const stored = (prefix: string) =>
  tower.deps.db.$client.prepare("select count(*) from audit_events where client_id like ?").pluck().get(`${prefix}%`);

beforeAll(async () => {
  await tower.owner.agent.create({ projectId: tower.projectId, name: "raw-agent", role: "worker" });
});

describe("ingest.report with the item count beside the body", () => {
  it("is stored and answered item by item, as the same batch without the count", async () => {
    const items = (prefix: string) => [
      event(`${prefix}-00001`),
      event(`${prefix}-00002`, { operation: "Not Valid!" }),
      event(`${prefix}-00003`),
    ];
    const counted = await report(JSON.stringify({ items: items("counted") }), { [REPORT_ITEMS_HEADER]: "3" });
    const plain = await report(JSON.stringify({ items: items("plainly") }));
    expect(counted.status).toBe(200);
    expect(counted.body.result.data).toMatchObject({ stored: 2, rejected: 1, duplicates: 0 });
    const statuses = (answer: typeof plain) => answer.body.result.data.results.map((r: { status: string }) => r.status);
    expect(statuses(counted)).toEqual(statuses(plain));
    expect(stored("counted-")).toBe(2);
  });

  it("a body holding another number of items than it says is refused whole with 400, and nothing is stored", async () => {
    const answer = await report(JSON.stringify({ items: [event("miscount-1"), event("miscount-2")] }), {
      [REPORT_ITEMS_HEADER]: "1",
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toBe("The batch holds 2 items, but its sender said 1");
    expect(answer.body.error.data.code).toBe("BAD_REQUEST");
    expect(stored("miscount-")).toBe(0);
  });

  it("a body that is not JSON is refused with 400 naming it, and the server goes on", async () => {
    const answer = await report('{"items": [', { [REPORT_ITEMS_HEADER]: "1" });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/^The body is not valid JSON/);
    expect(
      (await report(JSON.stringify({ items: [event("after-bad-1")] }), { [REPORT_ITEMS_HEADER]: "1" })).status,
    ).toBe(200);
  });

  it("bytes that are not UTF-8 are refused with 400, raw or parsed, in a report or any call; nothing is stored altered", async () => {
    // "café" written in Latin-1 (0xE9), as a misconfigured client would send it.
    const latin1 = (json: string) => {
      const bytes = Buffer.from(json);
      bytes[bytes.indexOf("caf#") + 3] = 0xe9;
      return bytes;
    };
    const body = (id: string) => latin1(JSON.stringify({ items: [event(id, { target: "caf#" })] }));
    for (const headers of [{ [REPORT_ITEMS_HEADER]: "1" }, {}] as Record<string, string>[]) {
      const answer = await report(body(`latin1-${Object.keys(headers).length}`), headers);
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toMatch(/not valid UTF-8/);
    }
    expect(stored("latin1-")).toBe(0);

    const created = await fetch(`${tower.url}/trpc/task.create`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tower.apiKey}` },
      body: latin1(JSON.stringify({ projectId: tower.projectId, name: "caf#" })),
    });
    expect(created.status).toBe(400);
    expect(((await created.json()) as { error: { message: string } }).error.message).toMatch(/not valid UTF-8/);
    expect((await tower.owner.task.list({ projectId: tower.projectId })).items).toEqual([]);
  });

  it("a count that is not one the API takes, or a batched call, is parsed as any other body", async () => {
    const body = JSON.stringify({ items: [event("odd-count-1")] });
    expect((await report(body, { [REPORT_ITEMS_HEADER]: "5000" })).body.result.data).toMatchObject({ stored: 1 });
    const batched = await report(
      JSON.stringify({ 0: { items: [event("batched-01")] } }),
      { [REPORT_ITEMS_HEADER]: "7" },
      "?batch=1",
    );
    expect(batched.body[0].result.data).toMatchObject({ stored: 1 });
  });

  it("the SDK sends its batches with their count", async () => {
    // A pass-through proxy in front of the real server notes what the SDK sends.
    const counts: (string | undefined)[] = [];
    const proxy = http.createServer((req, res) => {
      if (req.url?.startsWith("/trpc/ingest.report"))
        counts.push(req.headers[REPORT_ITEMS_HEADER] as string | undefined);
      const upstream = http.request(
        `${tower.url}${req.url}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const client = createTowerClient({
      url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      apiKey: tower.apiKey,
      reporting: { flushIntervalMs: 10_000 },
    });
    try {
      const agent = client.agent("raw-agent");
      for (let i = 0; i < 7; i++) agent.event({ operation: "tool_use", target: `sdk-${i}` });
      await client.reporter.flush();
      expect(counts).toEqual(["7"]);
      expect(client.reporter.pending).toBe(0);
    } finally {
      await client.shutdown();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
