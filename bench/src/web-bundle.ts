// Over 300 lines on purpose: one measurement (build manifests → per-route first-load bytes → browser
// check) whose steps share the manifest model.
/**
 * First-load JavaScript per dashboard route, gzipped (DESIGN.md target: ≤ 150 kB per route).
 *
 * "First load" is what the browser fetches and runs on a cold visit to one route: the shared
 * runtime/framework chunks every App Router page boots with (`rootMainFiles` in
 * `.next/build-manifest.json`), plus the client chunks of the route's layouts, page, not-found and
 * global-error boundaries (`entryJSFiles` in `.next/server/app/<route>/page_client-reference-manifest.js`).
 * These are exactly the `<script async>` tags Next puts in the route's HTML. The `noModule`
 * polyfill chunk (modern browsers skip it) and chunks only loaded through `next/dynamic` /
 * `import()` are not first-load JavaScript and are not counted. Each file is gzipped with
 * node:zlib at the default level; kB = 1,000 bytes, as `next build` used to print. A prerendered
 * route that answers with a redirect (`/` → 307 `/overview`) is charged its target's figure.
 *
 *   node --import tsx src/web-bundle.ts            manifest figures (builds apps/web if `.next` is missing)
 *   node --import tsx src/web-bundle.ts --build    rebuild apps/web first
 *   node --import tsx src/web-bundle.ts --browser  also load every route in Chromium against the production
 *                                                  web server and sum the gzipped script responses (ground truth)
 *
 * Exits 1 when a route is over the target.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { gzipSync } from "node:zlib";

export const WEB_BUNDLE_TARGET_KB = 150;

const root = fileURLToPath(new URL("../../", import.meta.url));
const webDir = path.join(root, "apps/web");
const nextDir = path.join(webDir, ".next");

export interface RouteBundleDetail {
  route: string;
  /** First-load JavaScript, gzipped, in kB (1,000 bytes). */
  kB: number;
  /** The same files uncompressed, in kB. */
  rawKB: number;
  /** Files under `.next/`, e.g. `static/chunks/0abc.js`. */
  files: string[];
  /** Set when the route answers with a redirect; the figures are then the target's. */
  redirectsTo?: string;
}

const toKB = (bytes: number) => Math.round(bytes / 100) / 10;

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** Runs `next build` for apps/web; its output goes to stderr so stdout keeps only the table. */
export function buildWeb(): void {
  const result = spawnSync("pnpm", ["--filter", "@tower/web", "build"], {
    cwd: root,
    stdio: ["ignore", process.stderr, process.stderr],
  });
  if (result.status !== 0) throw new Error(`pnpm --filter @tower/web build failed (exit ${result.status})`);
}

function ensureBuilt(build: boolean): void {
  if (build || !existsSync(path.join(nextDir, "BUILD_ID"))) buildWeb();
}

/** App Router page entries (`/audit/page`) and their URL paths (`/audit`); route handlers are skipped. */
function appPages(): { page: string; route: string }[] {
  const routes = readJson<Record<string, string>>(path.join(nextDir, "app-path-routes-manifest.json"));
  return Object.entries(routes)
    .filter(([page]) => page.endsWith("/page") && page !== "/_global-error/page")
    .map(([page, route]) => ({ page, route }))
    .sort((a, b) => a.route.localeCompare(b.route));
}

/** Client chunks of one page's layouts and boundaries, from its client reference manifest. */
function pageEntryFiles(page: string): string[] {
  const file = path.join(nextDir, "server/app", `${page}_client-reference-manifest.js`);
  // The manifest is a script that assigns `globalThis.__RSC_MANIFEST[page]`.
  const sandbox: { __RSC_MANIFEST?: Record<string, { entryJSFiles?: Record<string, string[]> }> } = {};
  vm.runInNewContext(readFileSync(file, "utf8"), sandbox, { filename: file });
  const manifest = sandbox.__RSC_MANIFEST?.[page];
  if (!manifest?.entryJSFiles) throw new Error(`${file} has no entryJSFiles for ${page}`);
  return Object.values(manifest.entryJSFiles).flat();
}

const gzipCache = new Map<string, { raw: number; gzip: number }>();
function sizeOf(file: string): { raw: number; gzip: number } {
  let size = gzipCache.get(file);
  if (!size) {
    const bytes = readFileSync(path.join(nextDir, file));
    size = { raw: bytes.length, gzip: gzipSync(bytes).length };
    gzipCache.set(file, size);
  }
  return size;
}

/** Where a prerendered route sends the browser (`/` → `/overview`), from its `.meta` file. */
function staticRedirect(route: string): string | undefined {
  const file = path.join(nextDir, "server/app", `${route === "/" ? "/index" : route}.meta`);
  if (!existsSync(file)) return undefined;
  const meta = readJson<{ status?: number; headers?: Record<string, string> }>(file);
  const location = meta.headers?.location;
  if (!meta.status || meta.status < 300 || meta.status >= 400 || !location?.startsWith("/")) return undefined;
  return location.split(/[?#]/)[0];
}

/** Per route: the first-load files and their gzipped total, read from the build manifests. */
export function analyzeWebBundle(options: { build?: boolean } = {}): RouteBundleDetail[] {
  ensureBuilt(options.build ?? false);
  gzipCache.clear();
  const buildManifest = readJson<{ rootMainFiles?: string[] }>(path.join(nextDir, "build-manifest.json"));
  const shared = buildManifest.rootMainFiles ?? [];
  if (shared.length === 0) throw new Error(".next/build-manifest.json lists no rootMainFiles");
  const pages = appPages();
  const filesOf = new Map(
    pages.map(({ page, route }) => [
      route,
      [...new Set([...shared, ...pageEntryFiles(page)])].filter((f) => f.endsWith(".js")),
    ]),
  );
  return pages.map(({ route }) => {
    // A redirecting route (HTTP 307 before any HTML) costs what its target costs.
    const target = staticRedirect(route);
    const files = (target && filesOf.get(target)) || filesOf.get(route) || [];
    let raw = 0;
    let gzip = 0;
    for (const file of files) {
      const size = sizeOf(file);
      raw += size.raw;
      gzip += size.gzip;
    }
    return { route, kB: toKB(gzip), rawKB: toKB(raw), files, ...(target ? { redirectsTo: target } : {}) };
  });
}

/** First-load JavaScript per app route of the built apps/web, gzipped, in kB (builds it if `.next` is missing). */
export async function measureWebBundle(): Promise<{ route: string; kB: number }[]> {
  return analyzeWebBundle().map(({ route, kB }) => ({ route, kB }));
}

// ---------------------------------------------------------------------------------------------
// Ground truth: load each route in Chromium and sum what it actually fetched.

interface PwResponse {
  url(): string;
  request(): { resourceType(): string };
  body(): Promise<Buffer>;
}
interface PwPage {
  on(event: "response", listener: (response: PwResponse) => void): void;
  goto(url: string, options: { waitUntil: "load" }): Promise<unknown>;
  evaluate<T>(expression: string): Promise<T>;
}
interface PwBrowser {
  newContext(): Promise<{ newPage(): Promise<PwPage>; close(): Promise<void> }>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(options: { executablePath?: string; args: string[] }): Promise<PwBrowser> };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * The production web server (apps/web/server.ts). Without `apiUrl` there is no API server: pages show
 * "Could not reach Tower" after hydrating, which loads every first-load chunk but none of the lazily
 * imported ones (those need data), matching the manifest figure. offline-shell.ts gives it one.
 */
export async function startWebServer(
  options: { port?: number; apiUrl?: string } = {},
): Promise<{ url: string; stop(): Promise<void> }> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: webDir,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      TOWER_SERVER_URL: options.apiUrl ?? `http://127.0.0.1:${await freePort()}`,
    },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`web server exited (${child.exitCode}):\n${stderr}`);
    try {
      if ((await fetch(`${url}/login`)).ok) return { url, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`web server did not answer on ${url}/login within 60 s:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A URL that renders the route: dynamic segments get a placeholder, `/_not-found` an unknown path. */
function urlPathOf(route: string): string {
  if (route === "/_not-found") return "/web-bundle-no-such-page";
  return route.replace(/\[\[?(?:\.\.\.)?[^\]]+\]\]?/g, "web-bundle");
}

/**
 * Loads every route once in a fresh Chromium context against the production web server
 * (apps/web/server.ts) and sums the gzipped bodies of all same-origin script responses.
 */
export async function measureWebBundleInBrowser(
  options: { build?: boolean } = {},
): Promise<{ route: string; kB: number; files: string[] }[]> {
  ensureBuilt(options.build ?? false);
  const requireFromWeb = createRequire(path.join(webDir, "package.json"));
  // bench does not depend on Playwright; use the copy apps/web's e2e tests run with.
  const playwright = requireFromWeb("@playwright/test") as Playwright;
  const chromiumPath = process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
  const server = await startWebServer();
  let browser: PwBrowser | undefined;
  try {
    browser = await playwright.chromium.launch({
      ...(chromiumPath ? { executablePath: chromiumPath } : {}),
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
    });
    const out: { route: string; kB: number; files: string[] }[] = [];
    for (const { route } of appPages()) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const bodies = new Map<string, Promise<Buffer | undefined>>();
      page.on("response", (response) => {
        const url = response.url();
        if (response.request().resourceType() === "script" && url.startsWith(server.url) && !bodies.has(url)) {
          bodies.set(
            url,
            response.body().catch(() => undefined),
          );
        }
      });
      await page.goto(server.url + urlPathOf(route), { waitUntil: "load" });
      // Only scripts requested before the load event: after it, <Link> prefetches other routes'
      // chunks and a redirecting page navigates on; neither is this route's first load.
      // (A string, evaluated in the page: bench compiles without the DOM types.)
      const loadedBeforeLoad = await page.evaluate<string[]>(`(() => {
        const [navigation] = performance.getEntriesByType("navigation");
        const loadAt = navigation ? navigation.loadEventStart : Infinity;
        return performance
          .getEntriesByType("resource")
          .filter((entry) => entry.startTime <= loadAt)
          .map((entry) => entry.name);
      })()`);
      let gzip = 0;
      const files: string[] = [];
      for (const url of new Set(loadedBeforeLoad)) {
        const body = await bodies.get(url);
        if (!body) continue;
        gzip += gzipSync(body).length;
        files.push(new URL(url).pathname.replace(/^\/_next\//, ""));
      }
      out.push({ route, kB: toKB(gzip), files: files.sort() });
      await context.close();
    }
    return out;
  } finally {
    await browser?.close();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const args = new Set(process.argv.slice(2));
  const routes = analyzeWebBundle({ build: args.has("--build") });
  const browser = args.has("--browser") ? await measureWebBundleInBrowser() : undefined;
  const label = (r: RouteBundleDetail) => (r.redirectsTo ? `${r.route} → ${r.redirectsTo}` : r.route);
  const width = Math.max(...routes.map((r) => label(r).length), "route".length);
  const header = ["route".padEnd(width), "files", "raw kB", "gzip kB", ...(browser ? ["browser kB"] : []), "target"];
  console.log(header.join("  "));
  let over = 0;
  let mismatch = 0;
  for (const r of routes) {
    const seen = browser?.find((b) => b.route === r.route);
    const ok = r.kB <= WEB_BUNDLE_TARGET_KB && (!seen || seen.kB <= WEB_BUNDLE_TARGET_KB);
    if (!ok) over++;
    const row = [
      label(r).padEnd(width),
      String(r.files.length).padStart(5),
      r.rawKB.toFixed(1).padStart(6),
      r.kB.toFixed(1).padStart(7),
    ];
    if (browser) {
      row.push((seen ? seen.kB.toFixed(1) : "-").padStart(10));
      const expected = [...r.files].sort().join(" ");
      if (seen && seen.files.join(" ") !== expected) {
        mismatch++;
        console.error(`${r.route}: browser loaded ${seen.files.join(", ")}\n  manifest lists ${expected}`);
      }
    }
    row.push(ok ? `≤ ${WEB_BUNDLE_TARGET_KB} ok` : `> ${WEB_BUNDLE_TARGET_KB} OVER`);
    console.log(row.join("  "));
  }
  const sharedFiles = routes.reduce<string[]>(
    (common, r) => common.filter((f) => r.files.includes(f)),
    routes[0]?.files ?? [],
  );
  const sharedKB = toKB(sharedFiles.reduce((sum, f) => sum + sizeOf(f).gzip, 0));
  console.log(`\nshared by every route: ${sharedFiles.length} files, ${sharedKB.toFixed(1)} kB gzipped`);
  if (browser) console.log(mismatch ? `browser and manifest differ on ${mismatch} routes` : "browser matches manifest");
  if (over) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
