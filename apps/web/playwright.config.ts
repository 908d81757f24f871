import { existsSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";

const API_PORT = 4101;
const WEB_PORT = 4100;
/** A third-party web app's origin the API allows (browser-sdk.spec.ts serves it), and one it does not. */
const APP_PORT = 4102;
const FOREIGN_APP_PORT = 4103;

// One fresh database per run. Workers load this file too: they inherit the path through the
// environment and must never delete it.
process.env.TOWER_E2E_DB_PATH ??= path.join(os.tmpdir(), `tower-e2e-${process.pid}-${Date.now()}.sqlite`);
const dbPath = process.env.TOWER_E2E_DB_PATH;
const removeDb = () => {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${dbPath}${suffix}`, { force: true });
};
if (!process.env.TEST_WORKER_INDEX) {
  removeDb();
  process.once("exit", removeDb);
}

/** The examples folder (register-agent.ts), for the spec that registers an agent with the SDK. */
process.env.TOWER_E2E_EXAMPLES_DIR = path.resolve(import.meta.dirname, "../../examples");
process.env.TOWER_E2E_API_URL = `http://127.0.0.1:${API_PORT}`;
process.env.TOWER_E2E_APP_PORT = String(APP_PORT);
process.env.TOWER_E2E_FOREIGN_APP_PORT = String(FOREIGN_APP_PORT);
/** The fresh install's setup code, preset so the spec that signs up the first owner can give it. */
const setupCode = (process.env.TOWER_E2E_SETUP_CODE ??= "E2E0-SETU-PCOD-E234");

const executablePath = process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);

export default defineConfig({
  testDir: "./e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: "test-results/playwright.json" }]],
  use: {
    baseURL: `http://127.0.0.1:${WEB_PORT}`,
    trace: "retain-on-failure",
    launchOptions: {
      ...(executablePath ? { executablePath } : {}),
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    {
      name: "chromium",
      testIgnore:
        /(fleet|activity|first-use|people|browser-sdk|navigation|approvals|a11y|offline|push|suites)\.spec\.ts$/,
      use: { ...devices["Desktop Chrome"] },
    },
    // Needs the owner account the first project signs up, so it runs after it (same database).
    { name: "fleet", testMatch: /fleet\.spec\.ts$/, dependencies: ["chromium"], use: { ...devices["Desktop Chrome"] } },
    // The rough edges a new user meets; needs the owner account and the demo project.
    {
      name: "first-use",
      testMatch: /first-use\.spec\.ts$/,
      dependencies: ["chromium"],
      use: { ...devices["Desktop Chrome"] },
    },
    // Members, passwords, sessions and headers; needs the owner account.
    {
      name: "people",
      testMatch: /people\.spec\.ts$/,
      dependencies: ["chromium"],
      use: { ...devices["Desktop Chrome"] },
    },
    // The shell rendered once, and filters in the URL; needs the owner account and the demo project.
    {
      name: "navigation",
      testMatch: /navigation\.spec\.ts$/,
      dependencies: ["chromium"],
      use: { ...devices["Desktop Chrome"] },
    },
    // A web app on another origin with the SDK's browser bundle and an API key; needs the owner account.
    {
      name: "browser-sdk",
      testMatch: /browser-sdk\.spec\.ts$/,
      dependencies: ["chromium"],
      use: { ...devices["Desktop Chrome"] },
    },
    // Policy and approvals: a policy saved on the Policy page, agents asking with an agent key, people deciding live.
    {
      name: "approvals",
      testMatch: /approvals\.spec\.ts$/,
      dependencies: ["chromium"],
      use: { ...devices["Desktop Chrome"] },
    },
    // axe-core on every page, at desktop and phone size, light and dark; dialogs' keyboard; the theme
    // switch. Needs the owner account and the demo project.
    {
      name: "a11y",
      testMatch: /a11y\.spec\.ts$/,
      dependencies: ["chromium"],
      use: { ...devices["Desktop Chrome"] },
    },
    // The service worker and the offline shell: the last known state offline, the live state after.
    {
      name: "offline",
      testMatch: /offline\.spec\.ts$/,
      dependencies: ["chromium"],
      use: { ...devices["Desktop Chrome"] },
    },
    // An approval's notification on a phone: push delivered to the service worker, one-tap approve page.
    {
      name: "push",
      testMatch: /push\.spec\.ts$/,
      dependencies: ["chromium"],
      use: { ...devices["Desktop Chrome"] },
    },
    // Test suites started from the browser (e2e/fixtures/tower-suites.yaml); needs the owner account, so it
    // runs after the first project (in it, "suites" would sort before tower.spec.ts and sign the owner up first).
    {
      name: "suites",
      testMatch: /suites\.spec\.ts$/,
      dependencies: ["chromium"],
      use: { ...devices["Desktop Chrome"] },
    },
    // Reports activity with the SDK (examples/report-activity.ts) and watches Overview, Audit and Metrics.
    {
      name: "activity",
      testMatch: /activity\.spec\.ts$/,
      dependencies: ["fleet"],
      use: { ...devices["Desktop Chrome"] },
    },
  ],
  webServer: [
    {
      command: "node --import tsx src/main.ts",
      cwd: path.resolve(import.meta.dirname, "../server"),
      url: `http://127.0.0.1:${API_PORT}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
      env: {
        ...(process.env as Record<string, string>),
        TOWER_PORT: String(API_PORT),
        TOWER_HOST: "127.0.0.1",
        TOWER_DEMO: "true",
        TOWER_DB_PATH: dbPath,
        TOWER_LOG_LEVEL: "warn",
        TOWER_SETUP_CODE: setupCode,
        // The dashboard's origin as the browser opens it, and a browser app's (not FOREIGN_APP_PORT's);
        // the dashboard's proxy on loopback is trusted to say who the browser is, as under `npm start`.
        TOWER_ALLOWED_ORIGINS: `http://127.0.0.1:${WEB_PORT},http://127.0.0.1:${APP_PORT}`,
        TOWER_TRUSTED_PROXIES: "loopback",
        // The test suites suites.spec.ts starts: the shipped example pointed at this server, one that fails, one that hangs.
        TOWER_SUITES_PATH: path.resolve(import.meta.dirname, "e2e/fixtures/tower-suites.yaml"),
      },
    },
    {
      command: "node --import tsx server.ts",
      cwd: import.meta.dirname,
      url: `http://127.0.0.1:${WEB_PORT}/login`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        ...(process.env as Record<string, string>),
        NODE_ENV: "production",
        PORT: String(WEB_PORT),
        HOST: "127.0.0.1",
        TOWER_SERVER_URL: `http://127.0.0.1:${API_PORT}`,
        // Lets the header spec play a TLS-terminating proxy in front of the dashboard.
        TOWER_TRUSTED_PROXIES: "loopback",
      },
    },
  ],
});
