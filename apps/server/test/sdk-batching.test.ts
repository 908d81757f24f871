// How the SDK's calls travel over HTTP, seen from the server: a lone call goes at once as a
// request of its own (no batching delay, which was a millisecond or more on every call), and the
// calls made while one waits for its answer travel together as one batch, not a connection each.
import { createTowerClient } from "@tower/sdk";
import { afterAll, beforeAll, expect, it } from "vitest";
import { recordingLogger, startTestServer, waitFor, type TestServer } from "./harness";

let tower: TestServer;
const log = recordingLogger();

beforeAll(async () => {
  tower = await startTestServer({ logger: log.logger });
});
afterAll(() => tower.stop());

/** The tRPC requests the server has answered so far, by URL, in order. */
const trpcRequests = () =>
  log.lines.flatMap((line) => {
    const url = (line as { req?: { url?: string } }).req?.url;
    return url?.startsWith("/trpc/") ? [url] : [];
  });

it("sends a lone call at once on its own, and batches the calls made while one waits", async () => {
  const client = createTowerClient({ url: tower.url, apiKey: tower.apiKey });
  try {
    const before = trpcRequests().length;
    await client.api.agent.list.query({ limit: 1 });
    await waitFor(() => trpcRequests().length > before, "the request in the server's log");
    const lone = trpcRequests().slice(before);
    expect(lone).toHaveLength(1);
    expect(lone[0]).toMatch(/^\/trpc\/agent\.list\?input=/);

    const burstFrom = trpcRequests().length;
    const pages = await Promise.all(Array.from({ length: 10 }, () => client.api.agent.list.query({ limit: 1 })));
    expect(pages.every((page) => Array.isArray(page.items))).toBe(true);
    await waitFor(() => trpcRequests().length >= burstFrom + 2, "the burst in the server's log");
    const burst = trpcRequests().slice(burstFrom);
    // The first alone; the nine made while it waited, in one batch.
    expect(burst).toHaveLength(2);
    expect(burst.filter((url) => url.includes("batch=1"))).toHaveLength(1);
  } finally {
    client.close();
  }
});
