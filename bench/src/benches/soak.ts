/**
 * 5. Memory, the soak: ingest at a steady rate to live subscribers for BENCH_SOAK_SECONDS while
 * the server's memory is sampled, and whether it is stable (see benchSoak).
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { log, SIZES, sleep } from "../config";
import { countRows, names, spawnAll } from "../load";
import { add, atMost } from "../results";
import { startServer } from "../server";
import { summarize } from "../stats";
import { closeSubscribers, openSubscribers, waitForDelivery } from "../subscribers";

/** One sample of the server's memory during the soak, in MB; `t` in seconds since ingest began. */
interface SoakSample {
  t: number;
  rss: number;
  /** RSS split: anonymous memory (JS heap, malloc) and file-backed or shared pages (code, mapped files). */
  rssAnon: number;
  rssFile: number;
  /** The main thread's JS heap. */
  heapUsed: number;
  heapTotal: number;
  /** Heap in use just after the latest full GC (about the live heap); NaN before the first. */
  heapAfterFullGc: number;
  /** The same, summed over the worker threads (the ingest writer); 0 when there are none. */
  workerHeapUsed: number;
  workerHeapTotal: number;
  workerHeapAfterFullGc: number;
  external: number;
  arrayBuffers: number;
}
export const soakTrajectories: { label: string; sampleSeconds: number; samples: SoakSample[] }[] = [];
const MB = 1024 * 1024;

/**
 * Growth over the soak's second half, from a least-squares line through its samples (a single late
 * sample lands anywhere on the GC sawtooth): slope × the half's length, in MB.
 */
function secondHalfGrowth(samples: SoakSample[], pick: (s: SoakSample) => number, midT: number): number {
  const half = samples.filter((s) => s.t >= midT && Number.isFinite(pick(s)));
  if (half.length < 3) return Number.NaN;
  const n = half.length;
  const mt = half.reduce((a, s) => a + s.t, 0) / n;
  const mv = half.reduce((a, s) => a + pick(s), 0) / n;
  const cov = half.reduce((a, s) => a + (s.t - mt) * (pick(s) - mv), 0);
  const vt = half.reduce((a, s) => a + (s.t - mt) ** 2, 0);
  return (cov / vt) * (half.at(-1)!.t - half[0]!.t);
}

const signed = (n: number, digits = 1) => `${n >= 0 ? "+" : ""}${n.toFixed(digits)}`;

/**
 * Ingest at a steady rate to live audit subscribers for BENCH_SOAK_SECONDS while the server's memory
 * is sampled (RSS from /proc, the JS heap through server-probe.ts). A server is stable when RSS stops
 * rising, but RSS swings by about ±15 % with the GC cycle, so two single samples cannot tell: besides
 * RSS after the warm-up, half-way, at the end and at its peak, the figures compare the median of each
 * half and fit a line through the second half, for RSS and for what it is made of (the JS heaps of
 * all threads just after full GCs, about the live heap; and everything outside the JS heaps: code,
 * SQLite, sockets).
 * Every sample goes to results.json (`soak`).
 */
export async function benchSoak() {
  const B = "5. memory";
  const tag = "bench.soak";
  // BENCH_SOAK_SAMPLE_SECONDS: how often the server's memory is sampled (RSS for the peak every second).
  const sampleMs = Number(process.env.BENCH_SOAK_SAMPLE_SECONDS ?? Math.min(15, SIZES.soakSeconds / 10)) * 1000;
  // Diagnosis only: BENCH_SOAK_GC=1 runs a full GC before each sample (server started with
  // BENCH_SERVER_ARGS=--expose-gc), so heapUsed is the live heap, and BENCH_SOAK_SNAPSHOTS=60,540
  // writes heap snapshots at those seconds into BENCH_SOAK_SNAPSHOT_DIR (default: a temporary
  // folder) to compare. Both disturb RSS (a snapshot adds about 90 MB that stays).
  const gc = process.env.BENCH_SOAK_GC === "1";
  const snapshotAt = (process.env.BENCH_SOAK_SNAPSHOTS ?? "")
    .split(",")
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
  const snapshotDir =
    snapshotAt.length > 0
      ? (process.env.BENCH_SOAK_SNAPSHOT_DIR ?? mkdtempSync(path.join(os.tmpdir(), "tower-soak-heap-")))
      : "";
  if (snapshotDir) mkdirSync(snapshotDir, { recursive: true });
  const server = await startServer("soak");
  try {
    const subs = await openSubscribers(server, SIZES.soakSubscribers);
    const [pacer] = await spawnAll([
      {
        role: "paced",
        url: server.url,
        apiKey: server.apiKey,
        agents: names("agent", 10),
        perSecond: SIZES.soakRate,
        tag,
      },
    ]);
    pacer!.cmd("go");
    const samples: SoakSample[] = [];
    const t0 = Date.now();
    const sample = async () => {
      const m = await server.memory({ gc });
      const parts = server.rssPartsKb();
      const s: SoakSample = {
        t: Math.round((Date.now() - t0) / 100) / 10,
        rss: server.rssKb() / 1024,
        rssAnon: parts.anon / 1024,
        rssFile: (parts.file + parts.shmem) / 1024,
        heapUsed: m.heapUsed / MB,
        heapTotal: m.heapTotal / MB,
        heapAfterFullGc: m.heapAfterFullGc === null ? Number.NaN : m.heapAfterFullGc / MB,
        workerHeapUsed: m.threads.reduce((a, w) => a + w.heapUsed, 0) / MB,
        workerHeapTotal: m.threads.reduce((a, w) => a + w.heapTotal, 0) / MB,
        workerHeapAfterFullGc: m.threads.reduce((a, w) => a + (w.heapAfterFullGc ?? Number.NaN), 0) / MB,
        external: m.external / MB,
        arrayBuffers: m.arrayBuffers / MB,
      };
      samples.push(s);
      return s;
    };
    const total = SIZES.soakSeconds * 1000;
    const warmup = Math.min(30, SIZES.soakSeconds / 5) * 1000;
    let peak = 0;
    let nextSample = 0;
    while (Date.now() - t0 < total) {
      await sleep(Math.max(10, Math.min(1_000, t0 + nextSample - Date.now())));
      const at = Date.now() - t0;
      peak = Math.max(peak, server.rssKb() / 1024);
      if (at >= nextSample) {
        const s = await sample();
        nextSample += sampleMs;
        log(
          `soak ${Math.round(s.t)} s: RSS ${s.rss.toFixed(1)} MB (anon ${s.rssAnon.toFixed(1)}, file ${s.rssFile.toFixed(1)}), heap used ${s.heapUsed.toFixed(1)} / total ${s.heapTotal.toFixed(1)}, after full GC ${s.heapAfterFullGc.toFixed(1)}; worker threads' heaps ${s.workerHeapUsed.toFixed(1)} / ${s.workerHeapTotal.toFixed(1)}, after full GC ${s.workerHeapAfterFullGc.toFixed(1)}; external ${s.external.toFixed(1)} MB`,
        );
      }
      while (snapshotAt.length > 0 && at >= snapshotAt[0]! * 1000) {
        const file = path.join(snapshotDir, `soak-${snapshotAt.shift()}s.heapsnapshot`);
        log(`soak: heap snapshot ${await server.heapSnapshot(file, { gc })}`);
      }
    }
    if (Date.now() - t0 - samples.at(-1)!.t * 1000 > 1_000) await sample(); // the end
    pacer!.cmd("stop");
    await pacer!.next<{ stored: number }>("done");
    const expected = countRows(server, `SELECT count(*) FROM audit_events WHERE operation = '${tag}'`);
    await waitForDelivery(subs.workers, expected, SIZES.deliveryWaitMs);
    const done = await closeSubscribers(subs.workers);
    const missed = done.reduce((s, d) => s + d.received.reduce((m, r) => m + Math.max(0, expected - r), 0), 0);

    const start = samples.find((s) => s.t * 1000 >= warmup) ?? samples[0]!;
    const end = samples.at(-1)!;
    peak = Math.max(peak, ...samples.map((s) => s.rss));
    const growth = (100 * (end.rss - start.rss)) / start.rss;
    const midT = SIZES.soakSeconds / 2;
    const mid = samples.find((s) => s.t >= midT) ?? end;
    const firstHalf = samples.filter((s) => s.t * 1000 >= warmup && s.t < midT).map((s) => s.rss);
    const secondHalf = samples.filter((s) => s.t >= midT).map((s) => s.rss);
    const firstMedian = summarize(firstHalf).median;
    const secondMedian = summarize(secondHalf).median;
    const halves = (100 * (secondMedian - firstMedian)) / firstMedian;
    // Every thread's JS heap, and what RSS holds beside them.
    const heapsUsed = (s: SoakSample) => s.heapUsed + s.workerHeapUsed;
    const heapsTotal = (s: SoakSample) => s.heapTotal + s.workerHeapTotal;
    const heapsAfterFullGc = (s: SoakSample) => s.heapAfterFullGc + s.workerHeapAfterFullGc;
    const outside = (s: SoakSample) => s.rss - heapsTotal(s);
    const rssHalf = secondHalfGrowth(samples, (s) => s.rss, midT);
    const liveHalf = secondHalfGrowth(samples, heapsAfterFullGc, midT);
    const outsideHalf = secondHalfGrowth(samples, outside, midT);
    const label = `${SIZES.soakSeconds} s soak, ${subs.started} subscribers, ${SIZES.soakRate} events/s`;
    const round = (v: number) => Math.round(v * 10) / 10;
    soakTrajectories.push({
      label,
      sampleSeconds: sampleMs / 1000,
      samples: samples.map(
        (s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v)])) as unknown as SoakSample,
      ),
    });

    const every = Math.max(1, Math.round(30_000 / sampleMs));
    const shown = samples.filter((s, i) => i % every === 0 || s === end);
    const columns = ["t (s)", "RSS", "anon", "file", "heaps used", "heaps total", "after full GC", "outside heaps"];
    const cell = (s: SoakSample) =>
      [s.t, s.rss, s.rssAnon, s.rssFile, heapsUsed(s), heapsTotal(s), heapsAfterFullGc(s), outside(s)].map((v, i) =>
        (i === 0 ? String(Math.round(v)) : v.toFixed(1)).padStart(Math.max(6, columns[i]!.length)),
      );
    log(
      `soak: server memory in MB, every ${(every * sampleMs) / 1000} s (all ${samples.length} samples in results.json)\n` +
        [columns.map((c) => c.padStart(Math.max(6, c.length))), ...shown.map(cell)]
          .map((row) => "    " + row.join("  "))
          .join("\n"),
    );
    log(
      `soak: ${SIZES.soakSeconds} s, ${expected} events to ${subs.started} subscribers, RSS ${Math.round(start.rss)} → ${Math.round(mid.rss)} (half-way) → ${Math.round(end.rss)} MB (peak ${Math.round(peak)}); median ${Math.round(firstMedian)} MB in the first half after warm-up, ${Math.round(secondMedian)} MB in the second (${signed(halves)} %, range ${Math.round(Math.min(...secondHalf))}–${Math.round(Math.max(...secondHalf))}); fitted over the second half: RSS ${signed(rssHalf)} MB, JS heaps after full GC ${signed(liveHalf)} MB, outside the JS heaps ${signed(outsideHalf)} MB; missed ${missed}`,
    );
    add(B, `RSS at start (after ${warmup / 1000} s warm-up), ${label}`, "MB", start.rss);
    add(B, `RSS half-way, ${label}`, "MB", mid.rss);
    add(B, `RSS at end, ${label}`, "MB", end.rss);
    add(B, `RSS peak, ${label}`, "MB", peak);
    add(
      B,
      `RSS growth start → end, ${label}`,
      "%",
      growth,
      atMost(10, "%"),
      "stable = within 10 % of the start; two single samples, each anywhere on the GC sawtooth (about ±15 % in a steady state)",
    );
    add(B, `RSS median, first half after warm-up, ${label}`, "MB", firstMedian);
    add(B, `RSS median, second half, ${label}`, "MB", secondMedian);
    add(
      B,
      `RSS growth first half → second half (medians), ${label}`,
      "%",
      halves,
      atMost(10, "%"),
      "median of the second half's samples against the first half's (after warm-up), the same 10 % as start → end but not at the mercy of two single samples: a server still growing has a higher second half; in steady state it measured -1 to +4 %",
    );
    add(
      B,
      `RSS growth over the second half (fitted), ${label}`,
      "MB",
      rssHalf,
      undefined,
      "slope of a least-squares line through the second half's samples × its length; with the GC sawtooth it swings by about ±10 % of RSS in a steady state",
    );
    add(
      B,
      `JS heaps after full GC at end (all threads), ${label}`,
      "MB",
      heapsAfterFullGc(end),
      undefined,
      "each thread's heap in use just after its latest full GC: about the live heap",
    );
    add(
      B,
      `JS heaps after full GC, growth over the second half (fitted), ${label}`,
      "MB",
      liveHalf,
      undefined,
      "a leak of JS objects shows here",
    );
    add(B, `RSS outside the JS heaps (RSS − every heap's total) at end, ${label}`, "MB", outside(end));
    add(
      B,
      `RSS outside the JS heaps, growth over the second half (fitted), ${label}`,
      "MB",
      outsideHalf,
      undefined,
      "code, SQLite, sockets, thread stacks and other native memory: a native leak shows here",
    );
    add(B, `events missed during soak`, "events", missed, atMost(0, "events"));
    await pacer!.exited;
  } finally {
    await server.stop();
  }
}
