#!/usr/bin/env node
// The two commands a new user runs, on a machine with only Node 20+ and npm:
//   npm start  → install what is missing, build, start the API server and the dashboard
//   npm test   → install what is missing, then typecheck, lint and run every test
// Everything else in the repo goes through pnpm and turbo; this file only bootstraps them.
import { spawn, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const mode = process.argv[2];
const isWindows = process.platform === "win32";

// The build tools' telemetry notices ("Next.js now collects completely anonymous telemetry…",
// Turborepo's) mean nothing to someone who ran `npm start`: telemetry is off for every process this
// script starts (install, build, servers, tests), unless the user set these variables themselves.
const TELEMETRY_OFF = { NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" };
for (const [key, value] of Object.entries(TELEMETRY_OFF)) process.env[key] ??= value;

function fail(message) {
  console.error(`\n✖ ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    shell: isWindows,
    ...options,
  });
  return result.status ?? 1;
}

function checkNode() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19))
    fail(`Tower needs Node.js 20.19 or newer; this is ${process.version}.`);
}

/** pnpm from PATH, else installed globally with npm, else run through npx. */
function ensurePnpm() {
  const probe = spawnSync("pnpm", ["--version"], { shell: isWindows, encoding: "utf8" });
  if (probe.status === 0 && probe.stdout.startsWith("10.")) return ["pnpm"];
  console.log("› Installing pnpm 10 (npm i -g pnpm@10)…");
  if (run("npm", ["install", "--global", "pnpm@10"]) === 0) return ["pnpm"];
  console.log("› Global install not permitted; using npx pnpm@10 instead.");
  return ["npx", "--yes", "pnpm@10"];
}

function pnpm(pm, args, options) {
  return run(pm[0], [...pm.slice(1), ...args], options);
}

function install(pm) {
  console.log("› Installing dependencies (pnpm install)…");
  if (pnpm(pm, ["install", "--frozen-lockfile"]) !== 0) fail("pnpm install failed; see the output above.");
}

/** Debian/Ubuntu Chromium when present (CHROMIUM_PATH or /usr/bin/chromium), else Playwright's own. */
function ensureBrowser(pm) {
  const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (existsSync(chromium)) return;
  console.log("› No system Chromium found; installing Playwright's Chromium…");
  if (pnpm(pm, ["--filter", "@tower/web", "exec", "playwright", "install", "chromium"]) !== 0) {
    fail("Could not install a browser for the end-to-end tests. Install Chromium and set CHROMIUM_PATH.");
  }
}

function start(pm) {
  console.log("› Building the API server and the dashboard…");
  const packages = ["@tower/server", "@tower/web", "@tower/demo-fleet"]; // the fleet needs the SDK's build
  const built = pnpm(pm, ["turbo", "run", "build", ...packages.map((name) => `--filter=${name}`)]);
  if (built !== 0) fail("The build failed; see the output above.");
  const dataDir = path.join(root, "data");
  mkdirSync(dataDir, { recursive: true });
  const env = {
    ...process.env,
    NODE_ENV: "production",
    TOWER_DEMO: process.env.TOWER_DEMO ?? "true",
    TOWER_DB_PATH: process.env.TOWER_DB_PATH ?? path.join(dataDir, "tower.sqlite"),
    TOWER_PORT: process.env.TOWER_PORT ?? "3001",
    PORT: process.env.PORT ?? "3000",
  };
  env.TOWER_SERVER_URL ??= `http://127.0.0.1:${env.TOWER_PORT}`;
  // The only browser origins the API answers: the dashboard's, as it is opened on this machine.
  env.TOWER_ALLOWED_ORIGINS ??= `http://localhost:${env.PORT},http://127.0.0.1:${env.PORT}`;
  // Until the first account exists it needs this code; the API server prints it too.
  env.TOWER_SETUP_CODE ??= setupCode();
  const server = {
    ...env,
    // The dashboard's proxy on loopback says who each browser is (X-Forwarded-For): without this,
    // every person signing in would share one address, and one typo-prone neighbour's failed
    // sign-ins would count against everyone.
    TOWER_TRUSTED_PROXIES: process.env.TOWER_TRUSTED_PROXIES ?? "loopback",
  };
  // Started directly (not through pnpm) so that stopping this script stops both processes.
  const children = [
    ["apps/server", "dist/main.js", server],
    ["apps/web", "dist/server.js", env],
  ].map(([dir, entry, childEnv]) =>
    // Each in its own process group (detached), so a Ctrl+C reaches only this script, which stops
    // them in order (the demo fleet before the API server it reports to). The IPC channel is their
    // lifeline: should this script be killed outright, it closes and they stop themselves.
    spawn(process.execPath, [entry], {
      cwd: path.join(root, dir),
      env: childEnv,
      stdio: ["inherit", "inherit", "inherit", "ipc"],
      detached: !isWindows,
    }),
  );
  // The demo fleet (examples/demo-fleet): a few demo agents at work through the SDK, so the
  // dashboard is alive on first visit. Started once the API answers; TOWER_DEMO_FLEET=false turns it off.
  let fleet = null;
  let stopped = false;
  if (env.TOWER_DEMO === "true" && env.TOWER_DEMO_FLEET !== "false") {
    void apiReady(env, () => stopped).then((ready) => {
      if (ready && !stopped) fleet = startFleet(env);
    });
  }
  const stop = () => {
    if (stopped) return;
    stopped = true;
    // The fleet first: its agents end their sessions while the API server still answers.
    void stopChild(fleet).then(() => children.forEach((child) => child.kill("SIGTERM")));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.on("SIGHUP", stop);
  // Should this script die some other way, its children must not outlive it.
  process.on("exit", () => [...children, fleet].forEach((child) => child?.kill("SIGTERM")));
  for (const child of children) {
    child.on("exit", (code) => {
      stop();
      process.exitCode = code ?? 0;
    });
  }
  void announce(env, () => stopped);
}

/** Resolves true once the API server answers /readyz (false if it never does or Tower stops). */
async function apiReady(env, isStopped) {
  for (let i = 0; i < 240 && !isStopped(); i++) {
    try {
      if ((await fetch(`${env.TOWER_SERVER_URL}/readyz`)).ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

/**
 * Runs examples/demo-fleet against the API server, with the key the server wrote beside the
 * database (TOWER_DEMO_FLEET_KEY_PATH). It prints one line; it stopping leaves Tower running.
 */
function startFleet(env) {
  return spawn(process.execPath, ["main.mjs"], {
    cwd: path.join(root, "examples/demo-fleet"),
    env: { ...env, TOWER_URL: env.TOWER_SERVER_URL },
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    detached: !isWindows,
  });
}

/** SIGTERM to `child`; resolves when it exited, or after 6 s whatever it does. */
function stopChild(child) {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    setTimeout(resolve, 6_000).unref();
    child.kill("SIGTERM");
  });
}

/** A one-time setup code like the server's own (16 letters and digits that cannot be misread). */
function setupCode() {
  const alphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789";
  const chars = Array.from({ length: 16 }, () => alphabet[randomInt(alphabet.length)]);
  return [0, 4, 8, 12].map((at) => chars.slice(at, at + 4).join("")).join("-");
}

/** Whether the install still waits for its first account (then the setup code is needed). */
async function setupNeeded(env) {
  try {
    const response = await fetch(`${env.TOWER_SERVER_URL}/trpc/auth.me`);
    return Boolean((await response.json())?.result?.data?.setupNeeded);
  } catch {
    return false;
  }
}

async function announce(env, isStopped) {
  const url = `http://localhost:${env.PORT}`;
  for (let i = 0; i < 120 && !isStopped(); i++) {
    try {
      const [api, web] = await Promise.all([fetch(`${env.TOWER_SERVER_URL}/readyz`), fetch(`${url}/login`)]);
      if (api.ok && web.ok) {
        console.log(`\n  Tower is running: ${url}`);
        console.log(`  Database: ${env.TOWER_DB_PATH}`);
        if (await setupNeeded(env)) {
          console.log("  First visit? Create the first account: it becomes the owner of the demo project.");
          console.log(`  It asks for this one-time setup code:\n\n      ${env.TOWER_SETUP_CODE}\n`);
        }
        console.log(`  Agents and the SDK talk to the API at ${env.TOWER_SERVER_URL}. Stop with Ctrl+C.\n`);
        return;
      }
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  if (!isStopped()) console.error("Tower did not become ready within two minutes; see the logs above.");
}

const RESULT_FILES = [
  "packages/shared/test-results/vitest.json",
  "packages/db/test-results/vitest.json",
  "packages/api/test-results/vitest.json",
  "packages/sdk/test-results/vitest.json",
  "apps/server/test-results/vitest.json",
  "apps/web/test-results/vitest.json",
  "apps/web/test-results/playwright.json",
];

/** Sums Vitest and Playwright JSON reports into one `N passed, N failed` line. */
function summarize() {
  let passed = 0;
  let failed = 0;
  for (const file of RESULT_FILES) {
    const full = path.join(root, file);
    if (!existsSync(full)) continue;
    const report = JSON.parse(readFileSync(full, "utf8"));
    if (report.stats && "expected" in report.stats) {
      passed += report.stats.expected + (report.stats.flaky ?? 0);
      failed += report.stats.unexpected;
    } else {
      passed += report.numPassedTests ?? 0;
      // A suite that failed to load has no failed tests; count it as one failure.
      failed += Math.max(report.numFailedTests ?? 0, report.numFailedTestSuites ?? 0);
    }
  }
  return { passed, failed };
}

function test(pm) {
  ensureBrowser(pm);
  for (const file of RESULT_FILES) rmSync(path.join(root, file), { force: true });
  // Browser tests run after the rest, so a busy machine does not starve the servers they drive.
  const checks = pnpm(pm, ["turbo", "run", "typecheck", "lint", "test", "--continue", "--concurrency=2"]);
  const browser = pnpm(pm, ["turbo", "run", "test:e2e", "--continue"]);
  const status = checks || browser;
  const { passed, failed } = summarize();
  if (status !== 0) console.error("\n✖ Some checks failed; see the output above.");
  if (passed + failed === 0) console.error("\n✖ No test ran.");
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(status !== 0 || failed > 0 || passed === 0 ? 1 : 0);
}

checkNode();
const pm = ensurePnpm();
install(pm);
if (mode === "start") start(pm);
else if (mode === "test") test(pm);
else fail("Usage: node scripts/bootstrap.mjs start|test");
