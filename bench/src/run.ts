/**
 * `pnpm bench`: starts the real Tower server (compiled, as `npm start` runs it) on a fresh SQLite
 * file per benchmark, drives it from forked worker processes, repeats each measurement BENCH_RUNS
 * times and prints median and spread. One file per benchmark in benches/; this runner picks them,
 * and writes the figures after each.
 *
 *   BENCH_QUICK=1          smaller sizes, a 1–2 minute smoke run
 *   BENCH_RUNS=3           repetitions per figure
 *   BENCH_SOAK_SECONDS=600 length of the memory soak (quick: 30)
 *   BENCH_SOAK_SAMPLE_SECONDS=15 how often the soak samples the server's memory (more in benchSoak)
 *   BENCH_RESULTS=path     where the figures go (default bench/results.json)
 *   BENCH_ONLY=ingest,fanout,queries,roundtrip,memory,soak,web,startup,policy,work   run a subset
 *   BENCH_WORK_RUNS=5000 BENCH_WORK_CONCURRENCY=16 BENCH_WORK_ENQUEUE_IN_FLIGHT=100
 *   BENCH_WORK_SCHEDULED_TASKS=10000   work-benchmark sizes (quick: 2,000 runs)
 *   BENCH_STARTUP_RUNS=5   server starts per mode, tsx and compiled (quick: 3)
 *   BENCH_WEB_RELOADS=10   dashboard reloads per page, online and offline (quick: 5)
 *   BENCH_SUBSCRIBERS=1000 BENCH_FANOUT_RUNS=1   fan-out size and repetitions
 *   BENCH_INGEST_EVENTS=100000 BENCH_ROWS=1000000   ingest and query-benchmark sizes
 */
import os from "node:os";
import { benchFanout } from "./benches/fanout";
import { benchIngest } from "./benches/ingest";
import { benchMemory } from "./benches/memory";
import { benchPolicyChecks } from "./benches/policy";
import { benchQueries } from "./benches/queries";
import { benchRoundtrip } from "./benches/roundtrip";
import { benchSoak, soakTrajectories } from "./benches/soak";
import { benchStartup } from "./benches/startup";
import { benchWeb } from "./benches/web";
import { benchWork } from "./benches/work";
import { log, ONLY, QUICK, RUNS } from "./config";
import { printTable, writeResults, type Machine } from "./results";

const BENCHES: [string, () => Promise<void>][] = [
  ["ingest", benchIngest],
  ["roundtrip", benchRoundtrip],
  ["memory", benchMemory],
  ["fanout", benchFanout],
  ["queries", benchQueries],
  ["soak", benchSoak],
  ["web", benchWeb],
  ["startup", benchStartup],
  ["policy", benchPolicyChecks],
  ["work", benchWork],
];

async function main() {
  const began = Date.now();
  const cpus = os.cpus();
  const machine: Machine = {
    cpus: cpus.length,
    model: cpus[0]?.model ?? "unknown",
    memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
  log(
    `machine: ${machine.cpus} × ${machine.model}, ${machine.memoryGB} GB, node ${machine.node}; runs ${RUNS}${QUICK ? ", quick" : ""}`,
  );
  const extra = () => (soakTrajectories.length > 0 ? { soak: soakTrajectories } : {});
  for (const [name, fn] of BENCHES) {
    if (ONLY && !ONLY.includes(name)) continue;
    log(`--- ${name}`);
    try {
      await fn();
    } catch (error) {
      log(`${name} failed:`, error);
      process.exitCode = 1;
    }
    writeResults(began, machine, extra());
  }
  const results = writeResults(began, machine, extra());
  printTable(results, machine, Math.round((Date.now() - began) / 1000));
}

await main();
