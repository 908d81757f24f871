/**
 * 3. Queries at scale: BENCH_ROWS events and as many metrics loaded through the real ingest path,
 * then the dashboard's heaviest reads timed idle and while four agents ingest flat out.
 */
import { log, RUNS, SIZES, sleep } from "../config";
import { countRows, names, spawnAll, split } from "../load";
import { add, atMost } from "../results";
import { startServer, type BenchServer } from "../server";
import { nowMs } from "../stats";

const QUERY_NAMES = [
  "metrics.overview",
  "metrics.aggregate (24 hourly buckets)",
  "audit.list (operation + decision filter, 50)",
  "agent.list (page of 50)",
];

async function measureQueries(server: BenchServer) {
  const [worker] = await spawnAll([
    {
      role: "query",
      url: server.url,
      apiKey: server.apiKey,
      samples: SIZES.querySamples,
      budgetMs: SIZES.queryBudgetMs,
      queries: QUERY_NAMES,
    },
  ]);
  worker!.cmd("go");
  const done = await worker!.next<{ results: Record<string, { p50: number; p95: number }> }>("done");
  await worker!.exited;
  return done.results;
}

export async function benchQueries() {
  const B = "3. queries at scale";
  const server = await startServer("queries");
  try {
    // Loaded through the real ingest path (SDK, 1,000-item batches), spread over the last 24 hours.
    const agents = 20;
    const perAgent = Math.ceil(SIZES.rows / agents);
    const workers = await spawnAll(
      split(names("agent", agents), 4).map((group) => ({
        role: "ingest" as const,
        url: server.url,
        apiKey: server.apiKey,
        agents: group,
        perAgent,
        metrics: true,
        spreadMs: 86_400_000,
      })),
    );
    const t0 = nowMs();
    workers.forEach((w) => w.cmd("go"));
    await Promise.all(workers.map((w) => w.next("done", 3_600_000)));
    const loadSeconds = (nowMs() - t0) / 1000;
    const events = countRows(server, "SELECT count(*) FROM audit_events");
    const metrics = countRows(server, "SELECT count(*) FROM metrics");
    log(`queries: loaded ${events} audit rows and ${metrics} metrics in ${loadSeconds.toFixed(1)} s`);
    add(B, "audit rows stored", "rows", events);
    add(B, "metrics stored", "rows", metrics);
    add(B, "load rate (events + metrics through ingest)", "items/s", (perAgent * agents * 2) / loadSeconds);
    for (let run = 1; run <= RUNS; run++) {
      const idle = await measureQueries(server);
      const flood = await spawnAll(
        split(names("flood", 4), 2).map((group) => ({
          role: "flood" as const,
          url: server.url,
          apiKey: server.apiKey,
          agents: group,
        })),
      );
      flood.forEach((w) => w.cmd("go"));
      await sleep(2_000);
      const cpu0 = server.cpuMs();
      const t1 = nowMs();
      const loaded = await measureQueries(server);
      const cpu = (server.cpuMs() - cpu0) / 10 / ((nowMs() - t1) / 1000);
      flood.forEach((w) => w.cmd("stop"));
      const floodDone = await Promise.all(flood.map((w) => w.next<{ sent: number; ms: number }>("done")));
      const floodRate = floodDone.reduce((s, d) => s + d.sent / (d.ms / 1000), 0);
      for (const name of QUERY_NAMES) {
        add(B, `${name} p50, idle`, "ms", idle[name]!.p50);
        add(B, `${name} p95, idle`, "ms", idle[name]!.p95, atMost(50, "ms"));
        add(B, `${name} p50, during ingest`, "ms", loaded[name]!.p50);
        add(B, `${name} p95, during ingest`, "ms", loaded[name]!.p95, atMost(50, "ms"));
      }
      add(B, "concurrent ingest rate while querying", "items/s", floodRate);
      add(B, "server CPU while querying during ingest", "% of a core", cpu);
      log(
        `queries run ${run}: idle ${JSON.stringify(idle)} loaded ${JSON.stringify(loaded)} (ingest ${Math.round(floodRate)} items/s)`,
      );
      await Promise.all(flood.map((w) => w.exited));
    }
  } finally {
    await server.stop();
  }
}
