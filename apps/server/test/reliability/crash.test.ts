import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb } from "@tower/db";
import { createTowerClient } from "@tower/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../harness";
import { freePort, prepareDatabase, startServerProcess, type ServerProcess } from "./server-process";

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every reported event id stored in the file, as a crashed server left it. */
function storedIds(file: string): string[] {
  const handle = createDb(file);
  try {
    return handle.sqlite
      .prepare("select client_id from audit_events where client_id is not null")
      .pluck()
      .all() as string[];
  } finally {
    handle.close();
  }
}

describe("crash: the server is killed with SIGKILL in the middle of ingest", () => {
  it("keeps every acknowledged event, and retries create no duplicates", async () => {
    const file = path.join(dir, "crash.sqlite");
    const { apiKey } = await prepareDatabase(file, ["crasher"]);
    const port = await freePort();
    let server: ServerProcess = await startServerProcess(file, port);

    const acknowledged = new Set<string>();
    const client = createTowerClient({
      url: server.url,
      apiKey,
      reporting: {
        flushIntervalMs: 5,
        maxBatch: 200,
        maxBuffer: 1_000_000,
        maxRetryDelayMs: 100,
        onResult: (result, batch) =>
          result.results.forEach((item, i) => {
            if (item.status !== "rejected") acknowledged.add(batch[i]!.id);
          }),
      },
    });
    const agent = client.agent("crasher");
    let produced = 0;
    const produce = setInterval(() => {
      for (let i = 0; i < 50; i++) {
        agent.event({ operation: "tool_use", target: `call-${produced}` });
        produced++;
      }
    }, 10);

    try {
      for (let round = 0; round < 4; round++) {
        const before = acknowledged.size;
        await waitFor(() => acknowledged.size > before + 300, `acknowledged reports in round ${round}`, 15_000);
        server.child.kill("SIGKILL");
        await server.exited;
        // Everything acknowledged so far is in the file, whatever the crash cut off.
        const stored = new Set(storedIds(file));
        const missing = [...acknowledged].filter((id) => !stored.has(id));
        expect(missing, `round ${round}: acknowledged but not stored`).toEqual([]);
        server = await startServerProcess(file, port);
      }
    } finally {
      clearInterval(produce);
    }
    // The backlog of four restarts, delivered one batch at a time: slow on a busy CI machine.
    await waitFor(() => client.reporter.pending === 0, "the SDK to deliver everything it buffered", 90_000);
    await client.shutdown();
    server.child.kill("SIGTERM");
    await server.exited;

    const ids = storedIds(file);
    expect(client.reporter.dropped).toBe(0);
    expect(ids.length).toBe(produced); // nothing lost…
    expect(new Set(ids).size).toBe(ids.length); // …and nothing stored twice
  }, 180_000);
});
