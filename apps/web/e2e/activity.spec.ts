import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test, type Page } from "@playwright/test";
import { agentRow, logIn, searchAgents } from "./helpers";

const run = promisify(execFile);

// Runs after the "fleet" project (same database, the owner account exists); each step builds on the last.
test.describe.configure({ mode: "serial" });

const AGENT = `reporter-${Date.now().toString(36)}`;
let secret = "";

/** Runs examples/report-activity.ts with the key created in Settings. */
async function reportActivity(...args: string[]) {
  const { stdout } = await run(process.execPath, ["--import", "tsx", "report-activity.ts", AGENT, ...args], {
    cwd: process.env.TOWER_E2E_EXAMPLES_DIR,
    env: { ...process.env, TOWER_URL: process.env.TOWER_E2E_API_URL, TOWER_API_KEY: secret },
    timeout: 30_000,
  });
  return stdout;
}

async function cardValue(page: Page, name: string): Promise<number> {
  const raw = await page.locator(`[data-card="${name}"]`).getAttribute("data-value");
  return raw ? Number(raw) : Number.NaN;
}

async function waitForLive(page: Page) {
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
}

test("reported activity reaches Overview, Audit and Metrics live", async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page);
  await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();

  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByLabel("Key name").fill(`activity-key-${AGENT}`);
  // The dashboard's default: an agent key, bound to the one agent that reports with it.
  await expect(page.getByLabel(/^Agent:/)).toBeChecked();
  await page.getByLabel("Agents it runs").fill(AGENT);
  await page.getByRole("button", { name: "Create API key" }).click();
  const secretField = page.getByLabel("New API key secret");
  await expect(secretField).toBeVisible();
  secret = await secretField.inputValue();
  expect(secret).toMatch(/^tower_/);
  await expect(page.getByRole("row", { name: new RegExp(`activity-key-${AGENT}`) })).toContainText(`agent as ${AGENT}`);

  // Overview: note today's numbers, report, and watch them move without a reload.
  await page.getByRole("link", { name: "Overview" }).click();
  await page.waitForURL(/\/overview/);
  await waitForLive(page);
  await expect.poll(() => cardValue(page, "cost")).not.toBeNaN();
  const costBefore = await cardValue(page, "cost");
  const tokensBefore = await cardValue(page, "tokens");
  await expect(page.getByRole("heading", { name: "Budget alerts" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Recent denials" })).toBeVisible();

  const stdout = await reportActivity();
  expect(stdout).toContain(`Reported 20 events and 20 metrics for "${AGENT}"`);

  await expect.poll(() => cardValue(page, "cost")).toBeGreaterThan(costBefore);
  await expect.poll(() => cardValue(page, "tokens")).toBeGreaterThan(tokensBefore);
  expect(await cardValue(page, "cost")).toBeGreaterThan(0);
  await expect.poll(() => cardValue(page, "over-budget")).toBeGreaterThan(0);
  const alerts = page.getByRole("list", { name: "Budget alerts" });
  await expect(alerts.locator(`[data-alert="${AGENT}"][data-threshold="100"]`)).toContainText(
    new RegExp(`${AGENT} crossed 100 % of its daily cost budget \\(\\$0\\.0\\d+ of \\$0\\.05\\)`),
  );
  const denials = page.getByRole("list", { name: "Recent denials" });
  await expect(denials.locator(`[data-denial="${AGENT}"]`)).toHaveCount(2);
  await expect(denials.locator(`[data-denial="${AGENT}"]`).first()).toContainText("shell.exec");

  // Audit: the agent's rows are listed, the live tail prepends new ones, paused it counts them.
  await page.getByRole("link", { name: "Audit", exact: true }).click();
  await page.waitForURL(/\/audit/);
  await waitForLive(page);
  const table = page.getByRole("table", { name: "Audit rows" });
  await expect(table).toBeVisible();
  await expect(table.locator(".vrow[data-audit-id]").filter({ hasText: AGENT }).first()).toBeVisible();
  await expect(table.locator('.vrow[data-decision="denied"]').filter({ hasText: AGENT })).toHaveCount(2);
  const after = table.locator(".vrow[data-audit-id]").filter({ hasText: "notes/after-the-run.md" });
  await expect(after).toHaveCount(0);

  await reportActivity("--once");
  await expect(after).toHaveCount(1);
  await expect(table.locator(".vrow[data-audit-id]").first()).toContainText("notes/after-the-run.md");

  await page.getByLabel("Pause live tail").check();
  await reportActivity("--once");
  await expect(page.getByRole("button", { name: "Show 1 new" })).toBeVisible();
  await expect(after).toHaveCount(1);
  await page.getByRole("button", { name: "Show 1 new" }).click();
  await expect(after).toHaveCount(2);
  await page.getByLabel("Pause live tail").uncheck();

  // Filters: only denied rows.
  await page.getByLabel("Decision").selectOption("denied");
  await expect(table.locator(".vrow[data-audit-id]").first()).toHaveAttribute("data-decision", "denied");
  await expect(table.locator('.vrow[data-audit-id]:not([data-decision="denied"])')).toHaveCount(0);
  await page.getByLabel("Decision").selectOption("");

  // The row drawer shows the detail and the chain links.
  await after.first().getByRole("button").click();
  const drawer = page.getByRole("dialog");
  await expect(drawer.getByLabel("Detail JSON")).toBeVisible();
  await expect(drawer.getByText("Previous hash")).toBeVisible();
  // The links are fetched when the drawer opens (lists and the live tail leave them out).
  await expect(drawer.locator(".hashes code")).toHaveCount(2);
  await expect(drawer.locator(".hashes code").first()).toHaveText(/^[0-9a-f]{64}$/);
  await drawer.getByRole("button", { name: "Close" }).click();
  await expect(drawer).toBeHidden();

  await page.getByRole("button", { name: "Verify chain" }).click();
  await expect(page.locator(".verify-result")).toContainText(/Intact: [\d,]+ rows/);

  // Metrics: charts are drawn and the bucket table has rows.
  await page.getByRole("link", { name: "Metrics", exact: true }).click();
  await page.waitForURL(/\/metrics/);
  await expect(page.locator(".chart canvas").first()).toBeVisible();
  expect(await page.locator(".chart canvas").count()).toBeGreaterThanOrEqual(4);
  await expect(page.getByRole("table", { name: "Metric buckets" }).locator("tbody tr").first()).toBeVisible();
  await page.getByLabel("Scope").selectOption("by-model");
  await expect(page.getByRole("table", { name: "Metric buckets" })).toContainText("gpt-4o-mini");
  await page.getByLabel("Time range").selectOption("1h");
  await expect(page.getByRole("table", { name: "Metric buckets" }).locator("tbody tr").first()).toBeVisible();

  // The fleet shows the agent over its daily budget.
  await page.getByRole("link", { name: "Agents", exact: true }).click();
  await page.waitForURL(/\/agents/);
  await searchAgents(page, AGENT);
  await expect(agentRow(page, AGENT).locator('[data-budget="usd"]')).toHaveAttribute("data-level", "over");
  await expect(agentRow(page, AGENT)).toContainText("over budget");

  await agentRow(page, AGENT).getByRole("link", { name: AGENT }).click();
  await expect(page.getByRole("heading", { level: 1, name: AGENT })).toBeVisible();
  await expect(page.getByRole("meter", { name: "Cost today" })).toHaveAttribute("aria-valuenow", "100");
});

test("the new pages fit a 390px wide phone", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await logIn(page);
  for (const path of ["/overview", "/metrics", "/audit"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    if (path === "/metrics") await expect(page.locator(".chart canvas").first()).toBeVisible();
    if (path === "/audit") await expect(page.getByRole("table", { name: "Audit rows" })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, path).toBeLessThanOrEqual(0);
  }
  await context.close();
});
