import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { expect, request as playwrightRequest, test, type APIRequestContext, type Page } from "@playwright/test";
import { logIn, OWNER } from "./helpers";

// Browser use (issue 13): a web app on another origin calls the API with the SDK's browser bundle
// and an API key. The API allows the app's origin (TOWER_ALLOWED_ORIGINS, playwright.config.ts)
// and refuses a second one it does not list. Runs after the "chromium" project (the owner exists).

test.describe.configure({ mode: "serial" });

const API_URL = process.env.TOWER_E2E_API_URL!;
const ALLOWED_PORT = Number(process.env.TOWER_E2E_APP_PORT);
const FOREIGN_PORT = Number(process.env.TOWER_E2E_FOREIGN_APP_PORT);
const SDK_DIR = path.resolve(import.meta.dirname, "../../../packages/sdk");
const SDK_BUNDLE = path.join(SDK_DIR, "dist/browser.js");
const PAGE = path.join(import.meta.dirname, "browser-app/index.html");

/** Serves the app's page and the SDK bundle, as any static host would, on a loopback port. */
async function serveApp(port: number): Promise<http.Server> {
  const files: Record<string, [string, string]> = {
    "/": ["text/html; charset=utf-8", PAGE],
    "/tower-sdk.js": ["text/javascript; charset=utf-8", SDK_BUNDLE],
  };
  const server = http.createServer((req, res) => {
    const file = files[new URL(req.url ?? "/", "http://app").pathname];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": file[0], "Cache-Control": "no-store" });
    res.end(readFileSync(file[1]));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return server;
}

/** Calls a procedure the way tRPC's HTTP link does; returns `result.data`. */
async function call<T>(api: APIRequestContext, procedure: string, input?: unknown, key?: string): Promise<T> {
  const headers = key ? { authorization: `Bearer ${key}` } : undefined;
  const response =
    input === undefined
      ? await api.get(`${API_URL}/trpc/${procedure}`, { headers })
      : await api.post(`${API_URL}/trpc/${procedure}`, { headers, data: input });
  expect(response.ok(), `${procedure}: ${await response.text()}`).toBe(true);
  return ((await response.json()) as { result: { data: T } }).result.data;
}

/** The app's page on `port`, told where the API is and given a key (or a project); console lines are kept. */
async function openApp(page: Page, port: number, { key, project }: { key?: string; project?: string } = {}) {
  const logs: string[] = [];
  page.on("console", (message) => logs.push(message.text()));
  const fragment = new URLSearchParams({ api: API_URL, ...(key ? { key } : {}), ...(project ? { project } : {}) });
  await page.goto(`http://127.0.0.1:${port}/#${fragment.toString()}`);
  await expect(page.getByRole("heading", { name: "Fleet watcher" })).toBeVisible();
  return logs;
}

const output = (page: Page, id: string) => page.locator(`output#${id}`);

let servers: http.Server[] = [];
let owner: APIRequestContext;
let projectId = "";
let readKey = "";
let manageKey = "";

test.beforeAll(async () => {
  test.setTimeout(240_000);
  // `turbo run test:e2e` builds the SDK first (@tower/web's devDependency); run alone, build it here.
  if (!existsSync(SDK_BUNDLE)) execFileSync("pnpm", ["build"], { cwd: SDK_DIR, stdio: "inherit", timeout: 180_000 });
  servers = await Promise.all([serveApp(ALLOWED_PORT), serveApp(FOREIGN_PORT)]);

  // The owner makes the keys, as in Settings → API keys: a read key for the browser, a manage key
  // for the automation that changes the fleet.
  owner = await playwrightRequest.newContext();
  await call(owner, "auth.logIn", { email: OWNER.email, password: OWNER.password });
  const [membership] = await call<{ projectId: string }[]>(owner, "project.list");
  projectId = membership!.projectId;
  const stamp = Date.now().toString(36);
  for (const [scope, name] of [
    ["read", `browser-read-${stamp}`],
    ["manage", `browser-manage-${stamp}`],
  ] as const) {
    const key = await call<{ secret: string }>(owner, "apiKey.create", { projectId, name, scopes: [scope] });
    if (scope === "read") readKey = key.secret;
    else manageKey = key.secret;
  }
});

test.afterAll(async () => {
  await owner?.dispose();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

test("a page on an allowed origin uses the SDK bundle with a read key and sees a live change", async ({ page }) => {
  const logs = await openApp(page, ALLOWED_PORT, { key: readKey });
  await expect(output(page, "query")).toHaveText(/^listed \d+$/);
  await expect(output(page, "live")).toHaveText("live");
  await expect(output(page, "socket")).toHaveText("open");

  // Something else changes the fleet; the page shows it without asking.
  const name = `browser-watched-${Date.now().toString(36)}`;
  const api = await playwrightRequest.newContext();
  const agent = await call<{ id: string }>(api, "agent.create", { name, role: "researcher" }, manageKey);
  await expect(page.locator("#changes li", { hasText: `created ${name}` })).toBeVisible();
  await call(api, "agent.update", { id: agent.id, patch: { role: "reviewer" } }, manageKey);
  await expect(page.locator("#changes li", { hasText: `updated ${name}` })).toBeVisible();
  await api.dispose();

  // The read key the page holds (anyone using the page can copy it) changes nothing.
  const attempt = await page.evaluate(async (agentName) => {
    const { tower } = window as unknown as {
      tower: { api: { agent: { create: { mutate(input: unknown): Promise<unknown> } } } };
    };
    try {
      await tower.api.agent.create.mutate({ name: `${agentName}-copy`, role: "x" });
      return "created";
    } catch (error) {
      return (error as { data?: { code?: string } }).data?.code ?? String(error);
    }
  }, name);
  expect(attempt).toBe("FORBIDDEN");
  await expect(page.locator("#errors li")).toHaveCount(0);
  expect(logs.filter((line) => /CORS|blocked/i.test(line))).toEqual([]);
});

test("a page on an origin the API does not list is refused over HTTP and WebSocket", async ({ page }) => {
  const logs = await openApp(page, FOREIGN_PORT, { key: readKey });
  // HTTP: the preflight gets a 403 with no CORS headers, so the browser never sends the call.
  await expect(output(page, "query")).toHaveText(/^refused \(.*Failed to fetch/);
  // WebSocket: the handshake is refused (403), which a page sees only as a closed socket.
  await expect(output(page, "socket")).toHaveText("closed 1006");
  await expect(page.locator("#errors li").first()).toBeVisible();
  await expect(output(page, "live")).not.toHaveText("live");
  await expect(page.locator("#changes li")).toHaveCount(0);
  // What the browser says about each, in its console.
  await expect
    .poll(() => logs.join("\n"))
    .toMatch(
      /from origin 'http:\/\/127\.0\.0\.1:\d+' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header/,
    );
  await expect.poll(() => logs.join("\n")).toMatch(/WebSocket connection to '.*' failed: .*403/);
});

test("on an allowed origin beside the dashboard, the operator's session cookie does not count", async ({ page }) => {
  // Signed in to the dashboard (127.0.0.1:4100): the browser holds a session cookie for 127.0.0.1,
  // which it sends along with the app's WebSocket to the API (cookies are per host, not per port).
  await logIn(page);
  await openApp(page, ALLOWED_PORT, { project: projectId });
  await expect(output(page, "query")).toHaveText(/^refused \(UNAUTHORIZED/);
  await expect(page.locator("#errors li", { hasText: "subscription UNAUTHORIZED" })).toBeVisible();
  await expect(output(page, "live")).toHaveText("refused");
});
