import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { agentRow, ensureOwner, logIn, ownerApi, type ApiCall } from "./helpers";

// The installable PWA's offline half (issue 16), against the production build: the service worker
// registers and controls the page; offline, Overview, Agents, Approvals and an agent's page open
// with the last state Tower sent (kept on the device) under the offline banner, with their controls
// off; a page never opened shows the offline page; back online the banner goes and what changed
// meanwhile arrives live. Runs after the "chromium" project (the owner account exists).

test.describe.configure({ mode: "serial" });

const STAMP = Date.now().toString(36);
const PROJECT = `Offline e2e ${STAMP}`;
const SCOUT = `scout-${STAMP}`;
const BUILDER = `builder-${STAMP}`;
const LATE = `late-${STAMP}`;

let owner: Awaited<ReturnType<typeof ownerApi>>;
let call: ApiCall;
let projectId = "";
let scoutId = "";
let builderId = "";

/** The queries this device has saved for offline use (IndexedDB, lib/offline-cache.ts), by procedure (and status). */
function savedQueries(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const open = indexedDB.open("tower");
        open.onerror = () => resolve([]);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains("offline-state")) return resolve([]);
          const get = db.transaction("offline-state").objectStore("offline-state").get("queries");
          get.onsuccess = () => {
            type Key = [string[], { input?: { status?: string; agentId?: string } }?];
            const saved = get.result as { state?: { queries: { queryKey: Key }[] } } | undefined;
            // "approval.list"; for a list of one status "approval.list:pending"; for one agent's
            // (its page's) "approval.list:pending:agent", so the Approvals page's own list is told apart.
            resolve(
              saved?.state?.queries.map(({ queryKey: [path, options] }) =>
                [path.join("."), options?.input?.status, options?.input?.agentId && "agent"].filter(Boolean).join(":"),
              ) ?? [],
            );
          };
          get.onerror = () => resolve([]);
        };
      }),
  );
}

const inProject = (path: string) => `${path}${path.includes("?") ? "&" : "?"}project=${encodeURIComponent(projectId)}`;

test.beforeAll(async () => {
  await ensureOwner(); // so the spec also runs on its own (--no-deps)
  owner = await ownerApi();
  call = owner.call;
  ({ projectId } = await call<{ projectId: string }>("project.create", { name: PROJECT }));
  ({ id: scoutId } = await call<{ id: string }>("agent.create", { projectId, name: SCOUT, role: "researcher" }));
  ({ id: builderId } = await call<{ id: string }>("agent.create", { projectId, name: BUILDER, role: "builder" }));
});

test.afterAll(async () => {
  await owner?.dispose();
});

test("the service worker controls the dashboard, and offline the last known state shows under a banner", async ({
  page,
  context,
}) => {
  await logIn(page);
  await page.goto(inProject("/agents"));
  await expect(agentRow(page, SCOUT)).toBeVisible();
  // Registered by the shell; the first version claims the open page at once.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(/\/sw\.js$/);

  // Online once, as a person browses: an agent's page, Overview and Approvals (the device keeps what was seen).
  await agentRow(page, SCOUT).getByRole("link", { name: SCOUT }).click();
  await expect(page.getByRole("heading", { name: SCOUT, level: 1 })).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Overview" }).click();
  await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();
  await nav.getByRole("link", { name: /Approvals/ }).click();
  await expect(page.getByRole("heading", { name: "Approvals", level: 1 })).toBeVisible();
  await expect(page.getByText("Loading pending approvals…")).toHaveCount(0);
  await expect
    .poll(() => savedQueries(page), { timeout: 15_000 })
    .toEqual(
      expect.arrayContaining([
        "auth.me",
        "agent.list",
        "agent.byId",
        "metrics.overview",
        "approval.list:pending:agent",
        "approval.list:pending",
      ]),
    );

  await context.setOffline(true);

  // A reload offline: the shell from the service worker, the data from the device.
  await page.goto(inProject("/agents"));
  const banner = page.getByTestId("offline-banner");
  await expect(banner).toContainText(/Offline, last updated \d{1,2}:\d{2}/);
  await expect(banner).toContainText("changes are off until the connection is back");
  await expect(agentRow(page, SCOUT)).toBeVisible();
  await expect(agentRow(page, BUILDER)).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Offline" }).first()).toBeVisible();
  // Changing anything is off, with the banner saying why; nothing is queued to run later.
  await expect(page.getByRole("button", { name: "New agent" })).toBeDisabled();

  await page.goto(inProject(`/agents/${scoutId}`));
  await expect(page.getByRole("heading", { name: SCOUT, level: 1 })).toBeVisible();
  await expect(banner).toBeVisible();

  await page.goto(inProject("/overview"));
  await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();
  await expect(banner).toBeVisible();
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0); // no "could not load"

  await page.goto(inProject("/approvals"));
  await expect(page.getByRole("heading", { name: "Approvals", level: 1 })).toBeVisible();
  await expect(page.getByText("Loading pending approvals…")).toHaveCount(0);
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0); // no "could not load"

  // An agent's page this device never opened: the offline page says so and where to go.
  await page.goto(inProject(`/agents/${builderId}`));
  await expect(page.getByRole("heading", { name: "Not saved on this device" })).toBeVisible();

  // Back to the fleet, still offline; meanwhile another agent is registered.
  await page.goto(inProject("/agents"));
  await expect(agentRow(page, SCOUT)).toBeVisible();
  await call("agent.create", { projectId, name: LATE, role: "builder" });
  await expect(agentRow(page, LATE)).toHaveCount(0);

  // Back online: the banner goes, the live connection resumes and what was missed arrives.
  await context.setOffline(false);
  await expect(banner).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
  await expect(agentRow(page, LATE)).toBeVisible({ timeout: 20_000 });
  await expect(page.getByRole("button", { name: "New agent" })).toBeEnabled();
});

test("signing out forgets what the device kept", async ({ page }) => {
  await logIn(page);
  await page.goto(inProject("/agents"));
  await expect(agentRow(page, SCOUT)).toBeVisible();
  await expect.poll(() => savedQueries(page), { timeout: 15_000 }).toContain("agent.list");
  await page.locator(".user-menu summary").click();
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(/\/login/);
  await expect.poll(() => savedQueries(page), { timeout: 15_000 }).toEqual([]);
});

test("a new version waits for the page to ask, then takes over on reload", async ({ page }) => {
  await logIn(page);
  await page.goto(inProject("/agents"));
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
  // The server now has another build of the worker (any byte differs: a new version). The
  // production server reads public/ at each request, as it would after a deploy.
  const worker = path.resolve(import.meta.dirname, "../public/sw.js");
  const original = readFileSync(worker, "utf8");
  writeFileSync(worker, `${original}\n// another build\n`);
  try {
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()));
  } finally {
    writeFileSync(worker, original);
  }
  const prompt = page.getByRole("status").filter({ hasText: "A new version of Tower is ready." });
  await expect(prompt).toBeVisible({ timeout: 30_000 });
  // Until asked, the page keeps running the version it loaded.
  expect(await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.waiting !== null))).toBe(
    true,
  );
  await Promise.all([page.waitForEvent("load"), prompt.getByRole("button", { name: "Reload" }).click()]);
  await expect(agentRow(page, SCOUT)).toBeVisible();
  expect(await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.waiting ?? null))).toBe(
    null,
  );
  await expect(prompt).toHaveCount(0);
});

test("Chromium can install the dashboard: no installability errors", async ({ playwright }, testInfo) => {
  // A profile on disk: Playwright's usual contexts are incognito, where nothing installs.
  const profile = mkdtempSync(path.join(os.tmpdir(), "tower-install-"));
  const { launchOptions, baseURL } = testInfo.project.use;
  const context = await playwright.chromium.launchPersistentContext(profile, { ...launchOptions, baseURL });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await logIn(page);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    expect(installabilityErrors).toEqual([]);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
