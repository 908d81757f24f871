/**
 * 4. Round trip: one small query (`agent.list {limit:1}`) after another, through tRPC's clients
 * (httpLink, wsLink) and on the wire (one kept-alive HTTP GET, one message on an open WebSocket).
 */
import { log, RUNS, SIZES } from "../config";
import { spawnAll } from "../load";
import { add, atMost } from "../results";
import { startServer, variantsFor } from "../server";

export async function benchRoundtrip() {
  const B = "4. round trip";
  for (let run = 1; run <= RUNS; run++) {
    for (const variant of variantsFor(run)) {
      const server = await startServer("roundtrip", variant.server);
      try {
        const [worker] = await spawnAll([
          { role: "roundtrip", url: server.url, apiKey: server.apiKey, samples: SIZES.roundtripSamples },
        ]);
        worker!.cmd("go");
        type Figures = { p50: number; p99: number };
        const r = await worker!.next<{ http: Figures; ws: Figures; httpWire: Figures; wsWire: Figures }>("done");
        const show = (f: Figures) => `p50 ${f.p50.toFixed(3)} p99 ${f.p99.toFixed(3)}`;
        log(
          `round trip run ${run}${variant.suffix}: tRPC client http ${show(r.http)}, ws ${show(r.ws)}; wire http ${show(r.httpWire)}, ws ${show(r.wsWire)} ms`,
        );
        const target = variant.shipped ? atMost(1, "ms") : undefined;
        const s = variant.suffix;
        add(B, `agent.list {limit:1} over HTTP, tRPC client p50${s}`, "ms", r.http.p50, target);
        add(B, `agent.list {limit:1} over HTTP, tRPC client p99${s}`, "ms", r.http.p99);
        if (variant.shipped) {
          // WebSocket calls never take the HTTP path, with or without the fast path.
          add(B, "agent.list {limit:1} over WebSocket, tRPC client p50", "ms", r.ws.p50, atMost(1, "ms"));
          add(B, "agent.list {limit:1} over WebSocket, tRPC client p99", "ms", r.ws.p99);
        }
        add(B, `agent.list {limit:1} over HTTP, plain request p50${s}`, "ms", r.httpWire.p50, target);
        add(B, `agent.list {limit:1} over HTTP, plain request p99${s}`, "ms", r.httpWire.p99);
        if (variant.shipped) {
          add(B, "agent.list {limit:1} over WebSocket, one message p50", "ms", r.wsWire.p50, atMost(1, "ms"));
          add(B, "agent.list {limit:1} over WebSocket, one message p99", "ms", r.wsWire.p99);
        }
        await worker!.exited;
      } finally {
        await server.stop();
      }
    }
  }
}
