/**
 * The bench's settings, read once from the environment (see run.ts for the list), and the helpers
 * every benchmark shares: a timestamped log on stderr and sleep.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

export const QUICK = process.env.BENCH_QUICK === "1";
export const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
export const ONLY = process.env.BENCH_ONLY?.split(",").map((s) => s.trim());
export const SIZES = {
  ingestEvents: Number(process.env.BENCH_INGEST_EVENTS ?? (QUICK ? 20_000 : 100_000)),
  concurrency: [1, 10, 100],
  subscribers: Number(process.env.BENCH_SUBSCRIBERS ?? (QUICK ? 100 : 1_000)),
  fanoutRate: 1_000,
  fanoutSeconds: QUICK ? 5 : 10,
  rows: Number(process.env.BENCH_ROWS ?? (QUICK ? 100_000 : 1_000_000)),
  querySamples: QUICK ? 50 : 200,
  queryBudgetMs: QUICK ? 3_000 : 8_000,
  roundtripSamples: QUICK ? 1_000 : 5_000,
  idleSockets: QUICK ? [100, 1_000] : [1_000, 10_000],
  soakSeconds: Number(process.env.BENCH_SOAK_SECONDS ?? (QUICK ? 30 : 600)),
  soakSubscribers: Number(process.env.BENCH_SOAK_SUBSCRIBERS ?? 100),
  soakRate: Number(process.env.BENCH_SOAK_RATE ?? 200),
  deliveryWaitMs: 30_000,
};
export const RESULTS_PATH = process.env.BENCH_RESULTS
  ? path.resolve(process.env.BENCH_RESULTS)
  : fileURLToPath(new URL("../results.json", import.meta.url));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const log = (...args: unknown[]) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
