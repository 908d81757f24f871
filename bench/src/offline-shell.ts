/**
 * The PWA's offline half, measured (figures for `7. dashboard`, see benches/web.ts):
 *
 * - the service worker's size, apps/web/public/sw.js, raw and gzipped;
 * - its precache: the entries of the manifest `serwist build` writes into sw.js
 *   (`{revision:…,url:"/…"}`), each mapped back to the file it was made from, as
 *   @serwist/next's configurator maps them (`/_next/x` → `.next/x`, a page `/x` →
 *   `.next/server/app/x.html`, `/` → `index.html`, anything else → `public/`), and their sizes
 *   summed. Read from the built worker itself, not from what `serwist build` prints;
 * - time to render a signed-in page offline: the real API server (startServer) behind the
 *   production web server, a few agents, Chromium logs in, opens /agents and /overview online,
 *   waits for the service worker to control the page and for the saved state in IndexedDB, then
 *   reloads each page N times online and N times offline. Each reload is timed on the page's own
 *   clock (navigation start = 0) up to the moment the page's data is in the DOM (and, offline, the
 *   "Offline, last updated" banner), noted by a MutationObserver an init script installs.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { log, sleep } from "./config";
import { BENCH_ACCOUNT, startServer } from "./server";
import { percentile } from "./stats";
import { freePort, startWebServer } from "./web-bundle";

const root = fileURLToPath(new URL("../../", import.meta.url));
const webDir = path.join(root, "apps/web");
const swPath = path.join(webDir, "public/sw.js");

/** kB = 1,000 bytes, one decimal, as the first-load figures. */
const toKB = (bytes: number) => Math.round(bytes / 100) / 10;

export interface ServiceWorkerFigures {
  rawKB: number;
  gzipKB: number;
  precacheUrls: number;
  precacheKB: number;
  /** Manifest URLs whose file was not found (their size is not counted). */
  missing: string[];
}

/** The file a precache URL was made from (see the header). */
function sourceOf(url: string): string | undefined {
  const pathname = url.split(/[?#]/)[0]!;
  const candidates = pathname.startsWith("/_next/")
    ? [path.join(webDir, ".next", pathname.slice("/_next/".length))]
    : [
        ...["app", "pages"].map((dir) =>
          path.join(webDir, ".next/server", dir, pathname === "/" ? "index.html" : `${pathname}.html`),
        ),
        path.join(webDir, "public", pathname),
      ];
  return candidates.find((file) => existsSync(file) && statSync(file).isFile());
}

/** Size of apps/web/public/sw.js and of what it precaches (the web app must be built). */
export function analyzeServiceWorker(): ServiceWorkerFigures {
  const source = readFileSync(swPath);
  const text = source.toString("utf8");
  const urls = [...text.matchAll(/\{\s*revision\s*:\s*(?:null|"[^"]*")\s*,\s*url\s*:\s*"([^"]+)"\s*\}/g)].map(
    (m) => m[1]!,
  );
  if (urls.length === 0) throw new Error(`${swPath} holds no precache manifest ({revision:…,url:"…"})`);
  let bytes = 0;
  const missing: string[] = [];
  for (const url of new Set(urls)) {
    const file = sourceOf(url);
    if (file) bytes += statSync(file).size;
    else missing.push(url);
  }
  return {
    rawKB: toKB(source.length),
    gzipKB: toKB(gzipSync(source).length),
    precacheUrls: new Set(urls).size,
    precacheKB: toKB(bytes),
    missing,
  };
}

// ---------------------------------------------------------------------------------------------
// The browser flow. bench compiles without the DOM types: what runs in the page is a string.

interface PwLocator {
  fill(value: string): Promise<void>;
  click(): Promise<void>;
}
interface PwPage {
  goto(url: string): Promise<unknown>;
  reload(): Promise<unknown>;
  waitForURL(url: RegExp): Promise<void>;
  evaluate<T>(expression: string): Promise<T>;
  getByLabel(text: string): PwLocator;
  getByRole(role: string, options: { name: string }): PwLocator;
}
interface PwContext {
  newPage(): Promise<PwPage>;
  addInitScript(script: { content: string }): Promise<void>;
  setOffline(offline: boolean): Promise<void>;
  close(): Promise<void>;
}
interface PwBrowser {
  newContext(): Promise<PwContext>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(options: { executablePath?: string; args: string[] }): Promise<PwBrowser> };
}

export type ShellPage = "/overview" | "/agents";
export interface ShellTiming {
  page: ShellPage;
  offline: boolean;
  /** Navigation start to data (and, offline, banner) in the DOM, per reload, on the page's clock. */
  samples: number[];
  p50: number;
  p95: number;
}

const AGENTS = ["bench-scout", "bench-builder", "bench-reviewer", "bench-deployer", "bench-watcher"];

/**
 * Installed before any page script: notes (performance.now(), navigation start = 0) the first
 * moment each condition holds — the offline banner with its "last updated"; a known agent's row;
 * the Overview heading with its figures and nothing loading or busy.
 */
const MARKS_SCRIPT = `(() => {
  const marks = (window.__benchMarks = {});
  const check = () => {
    const now = performance.now();
    if (marks.banner === undefined) {
      const banner = document.querySelector('[data-testid="offline-banner"]');
      if (banner && /last updated/.test(banner.textContent || "")) marks.banner = now;
    }
    if (marks["/agents"] === undefined && document.querySelector('tr[data-agent=${JSON.stringify(AGENTS[0])}]')) {
      marks["/agents"] = now;
    }
    if (
      marks["/overview"] === undefined &&
      [...document.querySelectorAll("h1")].some((h) => (h.textContent || "").trim() === "Overview") &&
      document.querySelector('.stat-card[data-card="cost"]:not([data-value=""])') &&
      !document.querySelector('.loading, [aria-busy="true"]')
    ) {
      marks["/overview"] = now;
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
})();`;

/** The procedures whose answers the page has saved in IndexedDB (lib/offline-cache.ts). */
const SAVED_QUERIES = `new Promise((resolve) => {
  const open = indexedDB.open("tower");
  open.onerror = () => resolve([]);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains("offline-state")) return resolve([]);
    const get = db.transaction("offline-state").objectStore("offline-state").get("queries");
    get.onsuccess = () => resolve((get.result?.state?.queries ?? []).map((q) => q.queryKey[0].join(".")));
    get.onerror = () => resolve([]);
  };
})`;

/**
 * Evaluates `expression` in the page every 25 ms until it is truthy, and returns it. Not
 * waitForFunction: that evals a string predicate in the page, which the dashboard's CSP forbids.
 * The figures do not depend on this interval: the page notes its own times (MARKS_SCRIPT).
 */
async function poll<T>(page: PwPage, expression: string, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate<T>(expression).catch(() => undefined); // mid-navigation: again
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** What the two pages need from IndexedDB offline. */
const SAVED = ["auth.me", "agent.list", "metrics.overview"];

async function waitSaved(page: PwPage, needed: string[]): Promise<void> {
  await poll(
    page,
    `${SAVED_QUERIES}.then((saved) => ${JSON.stringify(needed)}.every((q) => saved.includes(q)))`,
    `IndexedDB to hold ${needed.join(", ")}`,
  ).catch(async (error: unknown) => {
    throw new Error(`${String(error)}; it holds ${(await page.evaluate<string[]>(SAVED_QUERIES)).join(", ")}`);
  });
}

/** Resolves with the page-clock time at which `page` was ready (offline: with the banner too). */
async function readyAt(page: PwPage, route: ShellPage, offline: boolean): Promise<number> {
  const keys = offline ? [route, "banner"] : [route];
  const at = await poll<number>(
    page,
    `(() => {
      const m = window.__benchMarks;
      const keys = ${JSON.stringify(keys)};
      if (!m || keys.some((k) => m[k] === undefined)) return 0;
      return Math.max(...keys.map((k) => m[k]));
    })()`,
    `${route} ready${offline ? " offline" : ""}`,
  );
  if (!offline && (await page.evaluate<boolean>(`window.__benchMarks.banner !== undefined`))) {
    throw new Error(`${route} showed the offline banner while online`);
  }
  return at;
}

/** Opens `route` once (not timed), then reloads it `n` times, each timed. */
async function timeReloads(page: PwPage, base: string, route: ShellPage, offline: boolean, n: number) {
  await page.goto(base + route);
  await readyAt(page, route, offline);
  const samples: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < n; i++) {
    const began = performance.now();
    await page.reload();
    samples.push(await readyAt(page, route, offline));
    wall.push(performance.now() - began);
  }
  const r = (ms: number) => Math.round(ms * 10) / 10;
  log(
    `  ${route} ${offline ? "offline" : "online"}: page clock ${samples.map(r).join(", ")} ms; ` +
      `bench clock (reload call → condition seen) p50 ${r(percentile(wall, 50))} ms`,
  );
  return { page: route, offline, samples, p50: percentile(samples, 50), p95: percentile(samples, 95) };
}

/**
 * The browser flow of the header; the web app must be built. N reloads per page and mode.
 */
export async function measureOfflineShell(n: number): Promise<ShellTiming[]> {
  const webPort = await freePort();
  const webOrigin = `http://127.0.0.1:${webPort}`;
  // The dashboard's proxy sends the browser's Origin; the API must allow it (as under `npm start`).
  const server = await startServer("web-offline", {
    env: { TOWER_ALLOWED_ORIGINS: webOrigin, TOWER_TRUSTED_PROXIES: "loopback" },
  });
  let web: Awaited<ReturnType<typeof startWebServer>> | undefined;
  let browser: PwBrowser | undefined;
  try {
    for (const name of AGENTS) {
      const response = await fetch(`${server.url}/trpc/agent.create`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${server.apiKey}` },
        body: JSON.stringify({ projectId: server.projectId, name, role: "builder" }),
      });
      if (!response.ok) throw new Error(`agent.create ${name}: ${response.status} ${await response.text()}`);
    }
    web = await startWebServer({ port: webPort, apiUrl: server.url });
    // bench does not depend on Playwright; use the copy apps/web's e2e tests run with.
    const playwright = createRequire(path.join(webDir, "package.json"))("@playwright/test") as Playwright;
    const chromiumPath =
      process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
    browser = await playwright.chromium.launch({
      ...(chromiumPath ? { executablePath: chromiumPath } : {}),
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
    });
    const context = await browser.newContext();
    await context.addInitScript({ content: MARKS_SCRIPT });
    const page = await context.newPage();

    await page.goto(`${webOrigin}/login`);
    await page.getByLabel("Email").fill(BENCH_ACCOUNT.email);
    await page.getByLabel("Password").fill(BENCH_ACCOUNT.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/overview/);
    // Online once, as a person browses; the first worker claims the open page. Each page's data is
    // waited for in IndexedDB before leaving it: a save started as the page unloads can be lost.
    await page.goto(`${webOrigin}/agents`);
    await readyAt(page, "/agents", false);
    await poll(page, "navigator.serviceWorker.controller !== null", "the service worker to control the page");
    await waitSaved(page, ["auth.me", "agent.list"]);
    await page.goto(`${webOrigin}/overview`);
    await readyAt(page, "/overview", false);
    await waitSaved(page, SAVED);

    const timings: ShellTiming[] = [];
    const routes: ShellPage[] = ["/overview", "/agents"];
    for (const route of routes) timings.push(await timeReloads(page, webOrigin, route, false, n));
    await waitSaved(page, SAVED);
    await context.setOffline(true);
    for (const route of routes) timings.push(await timeReloads(page, webOrigin, route, true, n));
    await context.close();
    return timings;
  } finally {
    await browser?.close();
    await web?.stop();
    await server.stop();
  }
}
