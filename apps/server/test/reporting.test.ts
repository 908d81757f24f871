import http from "node:http";
import type { AddressInfo } from "node:net";
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

const storedFor = (agent: string) =>
  tower.deps.db.$client
    .prepare(
      `select count(*) as n, count(distinct client_id) as distinctIds from audit_events
       where actor_type = 'agent' and actor_name = ?`,
    )
    .get(agent) as { n: number; distinctIds: number };

describe("SDK reporting through an outage", () => {
  it("buffers while the server is down and delivers everything exactly once when it returns", async () => {
    const errors: string[] = [];
    const client = createTowerClient({
      url: tower.url,
      apiKey: tower.apiKey,
      reporting: { flushIntervalMs: 20, maxBatch: 50, maxRetryDelayMs: 200, onError: (e) => errors.push(e.message) },
    });
    const agent = client.agent("reporter", { profile: { role: "worker" } });
    await agent.start();
    for (let i = 0; i < 120; i++) agent.event({ operation: "tool_use", target: `call-${i}` });
    await client.reporter.flush();
    expect(storedFor("reporter")).toEqual({ n: 120, distinctIds: 120 });

    await tower.pause();
    for (let i = 0; i < 200; i++) agent.event({ operation: "tool_use", target: `offline-${i}` });
    for (let i = 0; i < 50; i++) agent.metric({ type: "execution", executionMs: i, success: true });
    await waitFor(() => errors.length >= 2, "failed delivery attempts while the server is down");
    expect(client.reporter.pending).toBe(250);
    expect(storedFor("reporter").n).toBe(120);

    await tower.resume();
    await waitFor(() => client.reporter.pending === 0, "the buffer to drain", 10_000);
    expect(storedFor("reporter")).toEqual({ n: 320, distinctIds: 320 });
    const metrics = tower.deps.db.$client.prepare("select count(*) as n from metrics").get() as { n: number };
    expect(metrics.n).toBe(50);
    expect(client.reporter.dropped).toBe(0);
    await client.shutdown();
  }, 30_000);

  it("reports Tower cannot take before shutdown are counted as dropped and said, never lost silently", async () => {
    const drops: { count: number; reason: string }[] = [];
    const client = createTowerClient({
      url: tower.url,
      apiKey: tower.apiKey,
      reporting: {
        flushIntervalMs: 20,
        maxRetryDelayMs: 100,
        onDrop: (count, _total, reason) => drops.push({ count, reason }),
      },
    });
    const agent = client.agent("outage-at-exit", { profile: { role: "worker" } });
    await agent.start();
    await tower.pause();
    try {
      for (let i = 0; i < 3; i++) agent.event({ operation: "tool_use", target: `late-${i}` });
      await client.shutdown();
      expect(client.reporter.dropped).toBe(3);
      expect(drops).toEqual([{ count: 3, reason: "Tower could not be reached before the client shut down" }]);
      expect(client.reporter.pending).toBe(0);
    } finally {
      await tower.resume();
    }
  }, 30_000);

  it("with a tiny buffer drops the oldest reports and says how many", async () => {
    const drops: number[] = [];
    const client = createTowerClient({
      url: tower.url,
      apiKey: tower.apiKey,
      reporting: { flushIntervalMs: 20, maxBuffer: 10, maxRetryDelayMs: 100, onDrop: (_n, total) => drops.push(total) },
    });
    const agent = client.agent("tiny-buffer", { profile: { role: "worker" } });
    await agent.start();
    await tower.pause();
    for (let i = 0; i < 25; i++) agent.event({ operation: "tool_use", target: `t-${i}` });
    expect(client.reporter.dropped).toBe(15);
    expect(drops.at(-1)).toBe(15);
    await tower.resume();
    await waitFor(() => client.reporter.pending === 0, "the buffer to drain", 10_000);
    const kept = tower.deps.db.$client
      .prepare("select target from audit_events where actor_name = 'tiny-buffer' order by id")
      .pluck()
      .all();
    // The newest ten survive; the oldest fifteen were dropped.
    expect(kept).toEqual(Array.from({ length: 10 }, (_, i) => `t-${i + 15}`));
    await client.shutdown();
  }, 30_000);

  it("splits a batch too large for one request instead of retrying it forever", async () => {
    const client = createTowerClient({ url: tower.url, apiKey: tower.apiKey, reporting: { flushIntervalMs: 10 } });
    const agent = client.agent("big-reports", { profile: { role: "worker" } });
    await agent.start();
    // 300 events of about 10 KB: three megabytes in one batch, over the 1 MiB request limit.
    for (let i = 0; i < 300; i++)
      agent.event({ operation: "tool_use", target: `big-${i}`, detail: { blob: "x".repeat(10_000) } });
    await waitFor(() => client.reporter.pending === 0, "the big batch to be delivered in parts", 15_000);
    expect(storedFor("big-reports")).toEqual({ n: 300, distinctIds: 300 });
    expect(client.reporter.dropped).toBe(0);
    await client.shutdown();
  }, 30_000);

  it("drops, and counts, reports Tower refuses for good", async () => {
    const drops: string[] = [];
    const client = createTowerClient({
      url: tower.url,
      apiKey: "tower_not-a-key",
      reporting: { flushIntervalMs: 10, onDrop: (_n, _t, reason) => drops.push(reason) },
    });
    client.reporter.add({ kind: "event", id: "refused-0001", agent: "nobody", operation: "tool_use" });
    await waitFor(() => client.reporter.pending === 0, "the refused batch to leave the queue");
    expect(client.reporter.dropped).toBe(1);
    expect(drops[0]).toMatch(/API key|Sign in/);
    await client.shutdown();
  });

  it("tells the agent when it goes over budget", async () => {
    const client = createTowerClient({ url: tower.url, apiKey: tower.apiKey, reporting: { flushIntervalMs: 10 } });
    const agent = client.agent("spender", { profile: { role: "worker", budgetCostUsdPerDay: 1 } });
    const budgetEvents: boolean[] = [];
    agent.on("budget", ({ over }) => budgetEvents.push(over));
    await agent.start();
    agent.metric({ type: "cost", costUsd: 0.6 });
    await client.reporter.flush();
    expect(agent.budget.over).toBe(false);
    agent.metric({ type: "cost", costUsd: 0.6 });
    await client.reporter.flush();
    expect(agent.budget.over).toBe(true);
    expect(budgetEvents).toEqual([true]);
    await client.shutdown();
  });
});

/**
 * A reverse proxy in front of the real server that answers 500 (as an HTML page, the way proxies
 * do) for every request whose body matches `fails`, and forwards the rest.
 */
async function failingProxy(target: string, fails: (body: string) => boolean) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push(body.toString());
      if (fails(body.toString())) {
        res.writeHead(500, { "content-type": "text/html" }).end("<h1>500 Internal Server Error</h1>");
        return;
      }
      const headers = { "content-type": "application/json", authorization: req.headers.authorization ?? "" };
      const upstream = http.request(`${target}${req.url}`, { method: req.method, headers }, (answer) => {
        const reply: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => reply.push(chunk));
        answer.on("end", () => {
          res.writeHead(answer.statusCode ?? 502, { "content-type": "application/json" }).end(Buffer.concat(reply));
        });
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("no report can hold up the ones behind it", () => {
  it("a report the server would refuse (nested 5,000 levels) is refused at once; the ten behind it are delivered", async () => {
    const errors: string[] = [];
    const client = createTowerClient({
      url: tower.url,
      apiKey: tower.apiKey,
      reporting: { flushIntervalMs: 10, onError: (e) => errors.push(e.message) },
    });
    const agent = client.agent("poisoned", { profile: { role: "worker" } });
    await agent.start();
    let detail: Record<string, unknown> = {};
    for (let i = 0; i < 5_000; i++) detail = { next: detail };
    agent.event({ operation: "tool_use", target: "poison", detail: detail as never });
    for (let i = 0; i < 10; i++) agent.event({ operation: "tool_use", target: `after-${i}` });
    await client.reporter.flush();
    expect(storedFor("poisoned")).toEqual({ n: 10, distinctIds: 10 });
    expect(client.reporter.dropped).toBe(1);
    expect(errors).toEqual(["Report not sent: detail.next.next.next.….next: is nested more than 32 levels deep"]);
    await client.shutdown();
  });

  it("a report JSON cannot carry (a BigInt, a throwing toJSON) is given up alone; the others in its batch arrive", async () => {
    const errors: string[] = [];
    const client = createTowerClient({
      url: tower.url,
      apiKey: tower.apiKey,
      reporting: { flushIntervalMs: 10, onError: (e) => errors.push(e.message) },
    });
    const agent = client.agent("unsendable", { profile: { role: "worker" } });
    await agent.start();
    agent.event({ operation: "tool_use", target: "before" });
    agent.event({ operation: "tool_use", target: "big", detail: { n: 1n } as never });
    const throwing = {
      toJSON: () => {
        throw new Error("not today");
      },
    };
    agent.event({ operation: "tool_use", target: "throws", detail: { value: throwing } as never });
    for (let i = 0; i < 5; i++) agent.event({ operation: "tool_use", target: `after-${i}` });
    await client.reporter.flush();
    expect(storedFor("unsendable")).toEqual({ n: 6, distinctIds: 6 });
    expect(client.reporter.pending).toBe(0);
    expect(client.reporter.dropped).toBe(2);
    expect(errors).toEqual([
      expect.stringMatching(/^Report not sent: it cannot be sent as JSON \(.*BigInt/),
      "Report not sent: it cannot be sent as JSON (not today)",
    ]);
    await client.shutdown();
  });

  it("a batch refused with a 4xx is not retried: said once through onError, and dropped", async () => {
    const errors: string[] = [];
    const key = await tower.owner.apiKey.create({
      projectId: tower.projectId,
      name: "revoked soon",
      scopes: ["manage"],
    });
    const client = createTowerClient({
      url: tower.url,
      apiKey: key.secret,
      reporting: { flushIntervalMs: 10, maxRetryDelayMs: 50, onError: (e) => errors.push(e.message) },
    });
    const agent = client.agent("refused", { profile: { role: "worker" } });
    await agent.start();
    await tower.owner.apiKey.revoke({ projectId: tower.projectId, id: key.id });
    for (let i = 0; i < 5; i++) agent.event({ operation: "tool_use", target: `refused-${i}` });
    await client.reporter.flush();
    await new Promise((resolve) => setTimeout(resolve, 200)); // time for retries, if there were any
    expect(errors).toHaveLength(1);
    expect(client.reporter.dropped).toBe(5);
    expect(client.reporter.pending).toBe(0);
    client.close();
  });

  it("a report that keeps failing with 500 behind a proxy is narrowed down and given up; the rest arrive once", async () => {
    const proxy = await failingProxy(tower.url, (body) => body.includes("poison-marker"));
    const errors: string[] = [];
    const client = createTowerClient({
      url: proxy.url,
      apiKey: tower.apiKey,
      reporting: { flushIntervalMs: 10, maxBatch: 40, maxRetryDelayMs: 20, onError: (e) => errors.push(e.message) },
    });
    const agent = client.agent("proxied", { profile: { role: "worker" } });
    await agent.start();
    for (let i = 0; i < 40; i++) agent.event({ operation: "tool_use", target: i === 17 ? "poison-marker" : `ok-${i}` });
    await waitFor(() => client.reporter.pending === 0, "every report delivered or given up", 15_000);
    expect(storedFor("proxied")).toEqual({ n: 39, distinctIds: 39 });
    expect(client.reporter.dropped).toBe(1);
    await client.shutdown();
    await proxy.close();
  }, 30_000);

  it("a server that answers 500 to everything is an outage: nothing is given up, all arrive when it heals", async () => {
    let failing = true;
    const proxy = await failingProxy(tower.url, (body) => failing && body.includes("outage-"));
    const client = createTowerClient({
      url: proxy.url,
      apiKey: tower.apiKey,
      reporting: { flushIntervalMs: 10, maxBatch: 8, maxRetryDelayMs: 20 },
    });
    const agent = client.agent("outage", { profile: { role: "worker" } });
    await agent.start();
    for (let i = 0; i < 20; i++) agent.event({ operation: "tool_use", target: `outage-${i}` });
    await waitFor(() => proxy.requests.length > 60, "many failed attempts", 15_000);
    expect(client.reporter.dropped).toBe(0);
    expect(client.reporter.pending).toBe(20);
    failing = false;
    await waitFor(() => client.reporter.pending === 0, "the buffer to drain", 15_000);
    expect(storedFor("outage")).toEqual({ n: 20, distinctIds: 20 });
    await client.shutdown();
    await proxy.close();
  }, 30_000);
});

type SentItem = { id: string; seq?: number; target?: string; sessionId?: string };

/** The reports of an ingest request, sent batched (`{"0": input}`) or alone (`input`). */
function itemsOf(body: string): SentItem[] {
  const parsed = JSON.parse(body) as { items?: SentItem[]; 0?: { items: SentItem[] } };
  return parsed.items ?? parsed[0]?.items ?? [];
}

const seqsOf = (items: SentItem[]) => items.map((item) => item.seq);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A reverse proxy in front of the real server that watches report batches on their way: how many
 * are in flight at once, and what each carried, in the order they arrived. `hold` keeps a batch
 * until the promise it returns settles; `refuse` answers a status instead of forwarding it (the
 * server never sees it); `loseAnswer` forwards it (the server commits) and answers a status instead
 * of the server's answer. Statuses are answered as proxies do, with an HTML page.
 */
async function watchingProxy(
  target: string,
  hooks: {
    hold?: (items: SentItem[]) => Promise<unknown> | undefined;
    refuse?: (items: SentItem[]) => number | undefined;
    loseAnswer?: (items: SentItem[]) => number | undefined;
  } = {},
) {
  const watch = {
    /** Every report batch that reached the proxy, in order of arrival. */
    arrived: [] as SentItem[][],
    /** Batches the server answered with success, in order of its answers. */
    delivered: [] as SentItem[][],
    refused: 0,
    inFlight: 0,
    maxInFlight: 0,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const report = req.url?.includes("ingest.report") ?? false;
      const items = report ? itemsOf(body.toString()) : [];
      const answerWith = (status: number, headers: http.OutgoingHttpHeaders, reply: Buffer | string) => {
        if (report) watch.inFlight--;
        res.writeHead(status, headers).end(reply);
      };
      const html = (status: number) => answerWith(status, { "content-type": "text/html" }, `<h1>${status}</h1>`);
      if (report) {
        watch.arrived.push(items);
        watch.inFlight++;
        watch.maxInFlight = Math.max(watch.maxInFlight, watch.inFlight);
      }
      void Promise.resolve(report ? hooks.hold?.(items) : undefined).then(() => {
        const refusal = report ? hooks.refuse?.(items) : undefined;
        if (refusal !== undefined) {
          watch.refused++;
          return html(refusal);
        }
        const headers = { "content-type": "application/json", authorization: req.headers.authorization ?? "" };
        const upstream = http.request(`${target}${req.url}`, { method: req.method, headers }, (answer) => {
          const reply: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => reply.push(chunk));
          answer.on("end", () => {
            const status = answer.statusCode ?? 502;
            if (report && status === 200) watch.delivered.push(items);
            const lost = report && status === 200 ? hooks.loseAnswer?.(items) : undefined;
            if (lost !== undefined) return html(lost);
            answerWith(status, { "content-type": "application/json" }, Buffer.concat(reply));
          });
        });
        upstream.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    watch,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A session's events as the audit trail lists them, by sequence number. */
async function listedSeqs(sessionId: string, order: "commit" | "agent") {
  const page = await tower.owner.audit.list({ projectId: tower.projectId, sessionId, order, limit: 200 });
  return page.items.filter((row) => row.actorType === "agent").map((row) => row.seq);
}

describe("batches in flight at once", () => {
  it.each([
    { maxInFlight: undefined, expected: 2 },
    { maxInFlight: 1, expected: 1 },
    { maxInFlight: 3, expected: 3 },
  ])(
    "maxInFlight $maxInFlight: $expected batches are on their way at once, each its own request; flush waits for all of them",
    async ({ maxInFlight, expected }) => {
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const proxy = await watchingProxy(tower.url, { hold: () => released });
      // A long interval: only full batches leave until the flush.
      const client = createTowerClient({
        url: proxy.url,
        apiKey: tower.apiKey,
        reporting: { maxBatch: 5, flushIntervalMs: 60_000, maxInFlight },
      });
      const name = `in-flight-${expected}`;
      const agent = client.agent(name, { profile: { role: "worker" } });
      await agent.start();
      const total = 5 * (expected + 2);
      for (let i = 0; i < total; i++) agent.event({ operation: "tool_use", target: `t-${i}` });
      await waitFor(() => proxy.watch.inFlight === expected, `${expected} batches held at the proxy at once`);
      await sleep(100); // no more than that, however long they take
      expect(proxy.watch.maxInFlight).toBe(expected);
      expect(proxy.watch.arrived.map((items) => items.length)).toEqual(Array(expected).fill(5));
      expect(client.reporter.pending).toBe(total);

      let flushed = false;
      const flush = client.reporter.flush().then(() => (flushed = true));
      await sleep(100);
      expect(flushed).toBe(false); // the batches on their way are not answered yet
      release();
      await flush;
      expect(client.reporter.pending).toBe(0);
      expect(storedFor(name)).toEqual({ n: total, distinctIds: total });
      expect(proxy.watch.maxInFlight).toBe(expected);
      // Every batch went alone, in the order its reports were made.
      expect(proxy.watch.arrived.flat().map((item) => item.seq)).toEqual(
        Array.from({ length: total }, (_, i) => i + 1),
      );
      await client.shutdown();
      await proxy.close();
    },
    30_000,
  );

  it("when the second batch commits first, the trail is in commit order and the session still lists in the agent's order", async () => {
    // The first batch is held at the proxy until the second has been committed and answered.
    let secondAnswered: () => void = () => {};
    const second = new Promise<void>((resolve) => (secondAnswered = resolve));
    const proxy = await watchingProxy(tower.url, {
      // (A fallback, so a reporter that waits for the first batch before sending the second fails
      // the assertions below instead of hanging.)
      hold: (items) => (items[0]?.seq === 1 ? Promise.race([second, sleep(3_000)]) : undefined),
      loseAnswer: (items) => {
        if (items[0]?.seq === 4) setImmediate(secondAnswered);
        return undefined;
      },
    });
    const client = createTowerClient({ url: proxy.url, apiKey: tower.apiKey, reporting: { maxBatch: 3 } });
    const agent = client.agent("out-of-order", { profile: { role: "worker" } });
    const session = await agent.start();
    const before = Date.now();
    for (let i = 1; i <= 6; i++) agent.event({ operation: "tool_use", target: `e-${i}` });
    await client.reporter.flush();

    expect(proxy.watch.delivered.map(seqsOf)).toEqual([
      [4, 5, 6],
      [1, 2, 3],
    ]);
    expect(await listedSeqs(session.id, "commit")).toEqual([3, 2, 1, 6, 5, 4]);
    expect(await listedSeqs(session.id, "agent")).toEqual([6, 5, 4, 3, 2, 1]);
    // Each report kept the time the agent made it, apart from Tower's time of commit.
    const rows = tower.deps.db.$client
      .prepare("select seq, reported_at as reportedAt from audit_events where session_id = ? order by seq")
      .all(session.id) as { seq: number; reportedAt: number }[];
    expect(rows.map((row) => row.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const row of rows) expect(row.reportedAt).toBeGreaterThanOrEqual(before);
    // A chain in commit order, intact.
    expect(await tower.owner.audit.verify({ projectId: tower.projectId })).toMatchObject({ intact: true });
    await client.shutdown();
    await proxy.close();
  }, 30_000);

  it("a batch whose answer is lost after its commit (500) is sent again with the same ids and numbers, and stored once", async () => {
    let lost = false;
    const proxy = await watchingProxy(tower.url, {
      loseAnswer: (items) => {
        if (lost || items[0]?.seq !== 1) return undefined;
        lost = true;
        return 500;
      },
    });
    const results: { stored: number; duplicates: number }[] = [];
    const errors: string[] = [];
    const client = createTowerClient({
      url: proxy.url,
      apiKey: tower.apiKey,
      reporting: {
        maxBatch: 4,
        maxRetryDelayMs: 50,
        onResult: (result) => results.push({ stored: result.stored, duplicates: result.duplicates }),
        onError: (error) => errors.push(error.message),
      },
    });
    const agent = client.agent("lost-answer", { profile: { role: "worker" } });
    const session = await agent.start();
    for (let i = 1; i <= 8; i++) agent.event({ operation: "tool_use", target: `e-${i}` });
    await waitFor(() => client.reporter.pending === 0, "every batch answered", 10_000);

    const firstBatch = proxy.watch.arrived.filter((items) => items[0]?.seq === 1);
    expect(firstBatch).toHaveLength(2);
    expect(firstBatch[1]).toEqual(firstBatch[0]); // the same ids, numbers and times
    expect(errors).toEqual([expect.stringMatching(/HTTP 500/)]);
    expect(results).toEqual(
      expect.arrayContaining([
        { stored: 4, duplicates: 0 },
        { stored: 4, duplicates: 0 },
        { stored: 0, duplicates: 4 },
      ]),
    );
    expect(storedFor("lost-answer")).toEqual({ n: 8, distinctIds: 8 });
    expect(await listedSeqs(session.id, "agent")).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(client.reporter.dropped).toBe(0);
    await client.shutdown();
    await proxy.close();
  }, 30_000);

  it("two batches failing at once go back in their order: once Tower answers, the oldest is delivered first", async () => {
    let failing = true;
    const proxy = await watchingProxy(tower.url, {
      // The second batch's failure comes last: it must still go back behind the first.
      hold: (items) => (failing && items[0]?.seq === 3 ? sleep(100) : undefined),
      refuse: () => (failing ? 503 : undefined),
    });
    const client = createTowerClient({
      url: proxy.url,
      apiKey: tower.apiKey,
      reporting: { maxBatch: 2, flushIntervalMs: 10, maxRetryDelayMs: 200 },
    });
    const agent = client.agent("fail-together", { profile: { role: "worker" } });
    await agent.start();
    for (let i = 1; i <= 8; i++) agent.event({ operation: "tool_use", target: `e-${i}` });
    await waitFor(() => proxy.watch.refused >= 2, "both batches refused");
    expect(proxy.watch.arrived.slice(0, 2).map(seqsOf)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(client.reporter.pending).toBe(8);
    failing = false;
    await waitFor(() => client.reporter.pending === 0, "the buffer to drain", 10_000);
    expect(proxy.watch.delivered[0]).toMatchObject([{ seq: 1 }, { seq: 2 }]);
    expect(proxy.watch.delivered.map(seqsOf).sort((a, b) => a[0]! - b[0]!)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    expect(storedFor("fail-together")).toEqual({ n: 8, distinctIds: 8 });
    expect(client.reporter.dropped).toBe(0);
    await client.shutdown();
    await proxy.close();
  }, 30_000);
});
