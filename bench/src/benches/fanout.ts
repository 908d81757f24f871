/**
 * 2. Live fan-out: BENCH_SUBSCRIBERS dashboard-like subscribers tail the audit log while one agent
 * process ingests 1,000 events/s; every push's delay from the ingest call to its receipt.
 */
import { log, QUICK, RUNS, SIZES, sleep } from "../config";
import { countRows, names, spawnAll } from "../load";
import { add, atLeast, atMost } from "../results";
import { startServer } from "../server";
import { histPercentile, merge, newHistogram, nowMs } from "../stats";
import { closeSubscribers, openSubscribers, waitForDelivery } from "../subscribers";

export async function benchFanout() {
  const B = "2. live fan-out";
  const tag = "bench.fanout";
  // When the server cannot keep up, one run takes minutes, so the full run repeats it only once by default.
  const runs = Number(process.env.BENCH_FANOUT_RUNS ?? (QUICK ? RUNS : 1));
  for (let run = 1; run <= runs; run++) {
    const server = await startServer("fanout");
    try {
      const subs = await openSubscribers(server, SIZES.subscribers);
      const [pacer] = await spawnAll([
        {
          role: "paced",
          url: server.url,
          apiKey: server.apiKey,
          agents: names("agent", 10),
          perSecond: SIZES.fanoutRate,
          tag,
        },
      ]);
      const cpu0 = server.cpuMs();
      const t0 = nowMs();
      pacer!.cmd("go");
      await sleep(SIZES.fanoutSeconds * 1000);
      pacer!.cmd("stop");
      const paced = await pacer!.next<{ sent: number; stored: number; failed: number; acks: [number, number][] }>(
        "done",
      );
      const acks = newHistogram();
      merge(acks, paced.acks);
      // Expected: what the database holds (an ingest call that timed out may still have committed).
      const expected = countRows(server, `SELECT count(*) FROM audit_events WHERE operation = '${tag}'`);
      await waitForDelivery(subs.workers, expected, SIZES.deliveryWaitMs);
      const cpu = (server.cpuMs() - cpu0) / 10 / ((nowMs() - t0) / 1000);
      const done = await closeSubscribers(subs.workers);
      const hist = newHistogram();
      let missed = 0;
      let deliveries = 0;
      for (const d of done) {
        merge(hist, d.hist);
        for (const r of d.received) {
          missed += Math.max(0, expected - r);
          deliveries += r;
        }
      }
      // Not delivered within the wait counts as the slowest possible sample, so percentiles never flatter.
      hist[hist.length - 1] = (hist[hist.length - 1] ?? 0) + missed;
      const p = (q: number) => histPercentile(hist, q);
      log(
        `fan-out run ${run}: ${subs.started} subscribers, ${paced.sent} sent, ${paced.stored} acknowledged, ${expected} stored, ${deliveries} deliveries, p50 ${p(50)} p95 ${p(95)} p99 ${p(99)} ms, missed ${missed}, server CPU ${Math.round(cpu)} %, ingest acknowledged p50 ${histPercentile(acks, 50)} p99 ${histPercentile(acks, 99)} ms`,
      );
      const label = `${subs.started.toLocaleString("en-US")} subscribers, ${SIZES.fanoutRate.toLocaleString("en-US")} events/s`;
      add(B, `ingest → subscriber p50 (${label})`, "ms", p(50));
      add(B, `ingest → subscriber p95 (${label})`, "ms", p(95));
      add(B, `ingest → subscriber p99 (${label})`, "ms", p(99), atMost(50, "ms"));
      add(
        B,
        "events missed (not received 30 s after ingest stopped, all subscribers)",
        "events",
        missed,
        atMost(0, "events"),
      );
      add(B, "ingest call → acknowledged after commit p50", "ms", histPercentile(acks, 50));
      add(B, "ingest call → acknowledged after commit p99", "ms", histPercentile(acks, 99));
      add(B, "deliveries per second achieved", "messages/s", deliveries / ((nowMs() - t0) / 1000));
      add(
        B,
        "ingest calls acknowledged / events sent",
        "%",
        (100 * paced.stored) / Math.max(1, paced.sent),
        atLeast(100, "%"),
      );
      add(B, "subscribers connected", "sockets", subs.started, atLeast(SIZES.subscribers, "sockets"));
      add(B, "server CPU during fan-out", "% of a core", cpu);
      await pacer!.exited;
    } finally {
      await server.stop();
    }
  }
}
