/**
 * Loaded into the benchmarked server with `--import` by server.ts (never by the server itself): it
 * answers the bench over the server's IPC channel with the process's memory figures, and on request
 * runs a full GC (when the server was started with `--expose-gc`) or writes a heap snapshot. It
 * leaves the server's code untouched; besides answering, it only notes the heap after each full GC.
 *
 * Node 20 does not run `--import` in worker threads, so the probe wraps `Worker`: a worker started
 * from source (`eval: true`, as the ingest writer thread is) first runs a small listener that reports
 * its own JS heap to the main thread over a BroadcastChannel, so that the heaps of all threads are
 * counted apart from the memory outside them.
 *
 * Plain JavaScript (types in JSDoc, checked by tsc through bench/tsconfig.json): the server runs
 * compiled, as `npm start` runs it, without a TypeScript loader, and the probe must not bring one
 * in (the loader costs about 100 MB of the memory the bench measures; see
 * docs/decisions/compiled-server.md).
 */
import { syncBuiltinESMExports } from "node:module";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { writeHeapSnapshot } from "node:v8";
import workerThreads, { BroadcastChannel, isMainThread } from "node:worker_threads";

/**
 * @typedef {object} ProbeMemory The server's `process.memoryUsage()`, in bytes, and its threads' heaps.
 * @property {number} rss
 * @property {number} heapTotal
 * @property {number} heapUsed
 * @property {number} external
 * @property {number} arrayBuffers
 * @property {number | null} heapAfterFullGc Heap in use right after the latest full (mark-compact) GC,
 *   i.e. about the live heap, without forcing a GC; null before the first. `heapUsed` alone swings
 *   with the GC cycle.
 * @property {number} fullGcs
 * @property {ThreadHeap[]} threads The same three figures for each worker thread's own heap.
 */

/**
 * @typedef {object} ThreadHeap
 * @property {number} threadId
 * @property {number} heapUsed
 * @property {number} heapTotal
 * @property {number | null} heapAfterFullGc
 */

/**
 * @typedef {{ type: "bench.memory"; id: number; gc?: boolean }
 *   | { type: "bench.heapsnapshot"; id: number; file: string; gc?: boolean }} ProbeRequest
 */

/** @type {number | null} */
let heapAfterFullGc = null;
let fullGcs = 0;
new PerformanceObserver((list) => {
  const full = list
    .getEntries()
    .filter(
      (entry) =>
        /** @type {{ detail?: { kind?: number } }} */ (entry).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR,
    );
  if (full.length === 0) return;
  fullGcs += full.length;
  // Delivered shortly after the GC: what was allocated since then is small against the heap.
  heapAfterFullGc = process.memoryUsage().heapUsed;
}).observe({ entryTypes: ["gc"] });

/** @param {boolean | undefined} wanted */
const maybeGc = (wanted) => {
  const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
  if (wanted && gc) gc();
};

const CHANNEL = "tower-bench-probe";
/** @typedef {{ type: "ask"; id: number } | ({ type: "heap"; id: number } & ThreadHeap)} ChannelMessage */

/** Runs first in a worker started from source: answers "ask" with the worker's own heap. */
const workerListener = `{
  const { BroadcastChannel, threadId } = require("node:worker_threads");
  const { PerformanceObserver, constants } = require("node:perf_hooks");
  let heapAfterFullGc = null;
  new PerformanceObserver((list) => {
    const full = list.getEntries().some((e) => e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (full) heapAfterFullGc = process.memoryUsage().heapUsed;
  }).observe({ entryTypes: ["gc"] });
  const channel = new BroadcastChannel(${JSON.stringify(CHANNEL)});
  channel.onmessage = (event) => {
    if (!event.data || event.data.type !== "ask") return;
    const { heapUsed, heapTotal } = process.memoryUsage();
    channel.postMessage({ type: "heap", id: event.data.id, threadId, heapUsed, heapTotal, heapAfterFullGc });
  };
  channel.unref();
}
`;

if (isMainThread) {
  const Original = workerThreads.Worker;
  class ProbedWorker extends Original {
    /**
     * @param {string | URL} source
     * @param {workerThreads.WorkerOptions} [options]
     */
    constructor(source, options) {
      super(options?.eval && typeof source === "string" ? workerListener + source : source, options);
    }
  }
  workerThreads.Worker = ProbedWorker;
  syncBuiltinESMExports(); // `import { Worker } from "node:worker_threads"` now gets ProbedWorker
}

const channel = new BroadcastChannel(CHANNEL);
let asked = 0;
/** @type {Map<number, ThreadHeap[]>} */
const answers = new Map();
channel.onmessage = (/** @type {unknown} */ event) => {
  const message = /** @type {{ data: ChannelMessage }} */ (event).data;
  if (message.type !== "heap") return;
  const { id, threadId, heapUsed, heapTotal, heapAfterFullGc: after } = message;
  answers.get(id)?.push({ threadId, heapUsed, heapTotal, heapAfterFullGc: after });
};
// The channel must not keep the server alive.
channel.unref();

/**
 * Asks every worker thread for its heap; those that answer within 200 ms are counted.
 * @returns {Promise<ThreadHeap[]>}
 */
async function threadHeaps() {
  const id = ++asked;
  answers.set(id, []);
  channel.postMessage({ type: "ask", id });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const threads = answers.get(id) ?? [];
  answers.delete(id);
  return threads;
}

if (isMainThread) {
  process.on("message", (/** @type {ProbeRequest} */ message) => {
    if (message?.type === "bench.memory") {
      maybeGc(message.gc);
      const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
      void threadHeaps().then((threads) => {
        /** @type {ProbeMemory} */
        const memory = { rss, heapTotal, heapUsed, external, arrayBuffers, heapAfterFullGc, fullGcs, threads };
        process.send?.({ type: "bench.memory", id: message.id, memory });
      });
    } else if (message?.type === "bench.heapsnapshot") {
      maybeGc(message.gc);
      try {
        const file = writeHeapSnapshot(message.file);
        process.send?.({ type: "bench.heapsnapshot", id: message.id, file });
      } catch (error) {
        process.send?.({ type: "bench.heapsnapshot", id: message.id, error: String(error) });
      }
    }
  });
  // Listening must not keep the server alive once it wants to exit.
  /** @type {{ unref?: () => void } | undefined} */ (process.channel)?.unref?.();
}
