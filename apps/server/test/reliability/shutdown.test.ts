import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb } from "@tower/db";
import { createTowerClient } from "@tower/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../harness";
import { freePort, prepareDatabase, startServerProcess } from "./server-process";

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-shutdown-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("shutdown: SIGTERM while agents are reporting", () => {
  it("answers what it accepted, stores everything it acknowledged, and exits 0", async () => {
    const file = path.join(dir, "shutdown.sqlite");
    const { apiKey } = await prepareDatabase(file, ["draining"]);
    const server = await startServerProcess(file, await freePort());
    const acknowledged = new Set<string>();
    const client = createTowerClient({
      url: server.url,
      apiKey,
      reporting: {
        flushIntervalMs: 5,
        maxBatch: 500,
        maxRetryDelayMs: 50,
        // Reports keep coming (20,000 a second) until the server has exited, which takes longer on a
        // loaded machine: room for all of them, so that what is measured is the shutdown, not the
        // buffer's bound (past it the oldest are dropped, by design; see reporting.test.ts).
        maxBuffer: 1_000_000,
        onResult: (result, batch) =>
          result.results.forEach((item, i) => item.status === "stored" && acknowledged.add(batch[i]!.id)),
      },
    });
    const agent = client.agent("draining");
    let produced = 0;
    const produce = setInterval(() => {
      for (let i = 0; i < 100; i++, produced++) agent.event({ operation: "tool_use", target: "load" });
    }, 5);
    await waitFor(() => acknowledged.size > 1_000, "ingest under way", 15_000);

    server.child.kill("SIGTERM");
    const { code } = await server.exited;
    clearInterval(produce);
    expect(code).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');

    const handle = createDb(file);
    const stored = new Set(
      handle.sqlite.prepare("select client_id from audit_events where client_id is not null").pluck().all() as string[],
    );
    handle.close();
    expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);
    // Every report is stored or still waiting in the SDK's buffer for the next server: none is lost.
    expect(client.reporter.dropped).toBe(0);
    expect(stored.size + client.reporter.pending).toBeGreaterThanOrEqual(produced);
    client.close();
  }, 60_000);
});
