/**
 * 5. Memory: the server's RSS idle, then with idle subscribed WebSockets open (1,000 and
 * 10,000; quick: 100 and 1,000), and what each socket costs.
 */
import { log, RUNS, SIZES, sleep } from "../config";
import type { Worker } from "../load";
import { add, atLeast, atMost } from "../results";
import { startServer } from "../server";
import { closeSubscribers, openSubscribers } from "../subscribers";

export async function benchMemory() {
  const B = "5. memory";
  for (let run = 1; run <= RUNS; run++) {
    const server = await startServer("memory");
    const open: Worker[] = [];
    try {
      await sleep(2_000);
      const idle = server.rssKb();
      add(B, "server RSS idle", "MB", idle / 1024);
      let connected = 0;
      for (const level of SIZES.idleSockets) {
        const more = level - connected;
        const subs = await openSubscribers(server, more, 4);
        open.push(...subs.workers);
        connected += subs.started;
        await sleep(3_000);
        const rss = server.rssKb();
        const perConn = (rss - idle) / Math.max(1, connected);
        log(
          `memory run ${run}: ${connected}/${level} idle subscribed sockets, RSS ${Math.round(rss / 1024)} MB, ${perConn.toFixed(1)} KB each`,
        );
        add(B, `server RSS, ${level.toLocaleString("en-US")} idle subscribed WebSockets`, "MB", rss / 1024);
        add(
          B,
          `KB per idle subscribed WebSocket (at ${level.toLocaleString("en-US")})`,
          "KB",
          perConn,
          atMost(50, "KB"),
        );
        add(
          B,
          `WebSockets reached (of ${level.toLocaleString("en-US")})`,
          "sockets",
          connected,
          atLeast(level, "sockets"),
        );
        if (connected < level) break;
      }
    } finally {
      await closeSubscribers(open).catch(() => open.forEach((w) => w.kill()));
      await server.stop();
    }
  }
}
