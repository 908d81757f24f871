/**
 * 7. Dashboard: first-load JavaScript per route, gzipped, from a fresh production build (see
 * web-bundle.ts); the PWA's service worker, its precache, and the time a signed-in page takes to
 * show its data offline against online (see offline-shell.ts).
 */
import { log, QUICK, RUNS } from "../config";
import { add, atMost } from "../results";
import { analyzeServiceWorker, measureOfflineShell } from "../offline-shell";
import { analyzeWebBundle, WEB_BUNDLE_TARGET_KB } from "../web-bundle";

/** Reloads per page and mode (BENCH_WEB_RELOADS; quick: 5). */
const RELOADS = Number(process.env.BENCH_WEB_RELOADS ?? (QUICK ? 5 : 10));

export async function benchWeb() {
  const B = "7. dashboard";
  // Built afresh (a stale .next would measure old code); sizes do not vary between runs, so once.
  for (const { route, kB } of analyzeWebBundle({ build: true })) {
    add(B, `first-load JS ${route}`, "kB gzip", kB, atMost(WEB_BUNDLE_TARGET_KB, "kB gzip"));
  }

  // The same build's service worker (`serwist build` writes public/sw.js after `next build`).
  const sw = analyzeServiceWorker();
  add(B, "service worker public/sw.js, raw", "kB", sw.rawKB);
  add(B, "service worker public/sw.js, gzipped", "kB gzip", sw.gzipKB);
  add(B, "precache (manifest in sw.js), entries", "URLs", sw.precacheUrls);
  const note = sw.missing.length ? `not found, not counted: ${sw.missing.join(", ")}` : undefined;
  add(B, "precache (manifest in sw.js), files' bytes", "kB", sw.precacheKB, undefined, note);
  if (sw.missing.length) log(`precache URLs without a file: ${sw.missing.join(", ")}`);

  // Time to the page's data, per reload (navigation start = 0); a run's figures are its p50 / p95.
  for (let run = 1; run <= RUNS; run++) {
    log(`offline shell, run ${run}/${RUNS}: ${RELOADS} reloads per page, online then offline`);
    for (const t of await measureOfflineShell(RELOADS)) {
      const mode = t.offline ? "+ offline banner, offline" : "online";
      const what = `${t.page} reload → data ${mode} (${t.samples.length} reloads)`;
      add(B, `${what} p50`, "ms", t.p50);
      add(B, `${what} p95`, "ms", t.p95);
    }
  }
}
