import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../harness";
import { openRawSocket, type WireMessage } from "../raw-socket";
import { freePort, prepareDatabase, startServerProcess } from "./server-process";

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-slow-consumer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resident memory of a process, in MB. */
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

// A socket holding everything grew the server by 347 MB (measured without the bound); with it,
// heavy ingest alone grows the heap by 110–210 MB (the top under CI's parallel load).
const EVENTS = 60_000;
const DETAIL = "x".repeat(4_000);
/** Reports per request: as many as fit in the 1 MiB body limit. */
const PER_REQUEST = 200;

/** Follows one audit tail, keeping counts only (the stream is hundreds of MB). */
function follower() {
  const state = { rows: 0, lastId: 0, gaps: 0 };
  const onData = (message: WireMessage) => {
    for (const row of (message.result!.data as { data: { id: number }[] }).data) {
      if (state.lastId !== 0 && row.id !== state.lastId + 1) state.gaps++;
      state.lastId = row.id;
      state.rows++;
    }
  };
  return { state, onData };
}

describe("a slow consumer: a subscriber that stops reading during heavy ingest", () => {
  it("is cut off, while the others receive every event and the server's memory stays bounded", async () => {
    const file = path.join(dir, "slow.sqlite");
    const { apiKey, projectId } = await prepareDatabase(file, ["loud"]);
    // The ingest limit is not what is tested: the reports go in as fast as the server stores them.
    const server = await startServerProcess(file, await freePort(), { TOWER_INGEST_ITEMS_PER_SECOND: "10000000" });
    const pid = server.child.pid!;
    try {
      const subscribe = async (onData?: (message: WireMessage) => void) => {
        const socket = await openRawSocket(server.url, apiKey, onData);
        socket.subscribe(1, "audit.onAppend", { projectId, lastEventId: null });
        expect((await socket.answer(1)).result?.type).toBe("started");
        return socket;
      };
      const healthy = [follower(), follower()];
      const healthySockets = await Promise.all(healthy.map((h) => subscribe(h.onData)));
      const slow = await subscribe(() => {});
      slow.socket.pause(); // it stops reading: from here on, everything sent to it waits on the server

      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = rssMb(pid);

      // 60,000 events of 4 KB each: about 250 MB through every subscriber's socket.
      let sent = 0;
      const report = async () => {
        const items = Array.from({ length: PER_REQUEST }, () => ({
          kind: "event",
          id: `slow-${String(sent++).padStart(8, "0")}`,
          agent: "loud",
          operation: "tool_use",
          detail: { blob: DETAIL },
        }));
        const response = await fetch(`${server.url}/trpc/ingest.report`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
          body: JSON.stringify({ projectId, items }),
        });
        expect(response.status).toBe(200);
        const body = (await response.json()) as { result: { data: { stored: number } } };
        expect(body.result.data.stored).toBe(PER_REQUEST);
      };
      let peak = before;
      for (let batch = 0; batch < EVENTS / PER_REQUEST; batch += 4) {
        await Promise.all([report(), report(), report(), report()]);
        peak = Math.max(peak, rssMb(pid));
      }

      for (const [i, { state }] of healthy.entries()) {
        await waitFor(() => state.rows === EVENTS, `healthy subscriber ${i} to receive every event`, 60_000);
        expect(state.gaps).toBe(0);
      }
      const after = rssMb(pid);
      peak = Math.max(peak, after);
      console.log(
        `slow consumer: server RSS ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after, peak ${peak.toFixed(0)} MB; ${EVENTS} events of 4 KB`,
      );
      // Without the bound the paused socket alone held every message sent to it (~250 MB of data).
      expect(peak - before).toBeLessThan(290);
      expect(server.output()).toContain("websocket client cut off");

      slow.socket.resume();
      await slow.closed;
      await Promise.all(healthySockets.map((socket) => socket.close()));
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  }, 180_000);
});
