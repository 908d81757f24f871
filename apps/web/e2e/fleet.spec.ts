import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { agentRow, logIn, openAgents } from "./helpers";

// The "fleet" project runs after tower.spec.ts (same database, the owner account exists); each step builds on the last.
test.describe.configure({ mode: "serial" });

const FLEET_DIR = path.resolve(import.meta.dirname, "../../../examples/fleet");
const FLEET_FILES = readdirSync(FLEET_DIR)
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .sort()
  .map((f) => path.join(FLEET_DIR, f));
const PROJECT = `Fleet e2e ${Date.now().toString(36)}`;
const TEAM = "Review crew";

/** How many agents of a role the demo files define (YAML `role: x` or JSON `"role": "x"`). */
function countRole(role: string): number {
  let n = 0;
  for (const file of FLEET_FILES) {
    const text = readFileSync(file, "utf8");
    n += text.match(new RegExp(`^\\s*(?:-\\s*)?"?role"?:\\s*"?${role}"?,?\\s*$`, "gm"))?.length ?? 0;
  }
  return n;
}

async function outcome(page: Page, name: string): Promise<number> {
  const text = await page.locator(`[data-outcome="${name}"] strong`).textContent();
  return Number(text);
}

async function importFleet(page: Page) {
  await page.getByLabel("Identity files").setInputFiles(FLEET_FILES);
  await expect(page.getByText(`${FLEET_FILES.length} files chosen`)).toBeVisible();
  await page.getByRole("button", { name: `Import ${FLEET_FILES.length} files` }).click();
  await expect(page.getByRole("heading", { name: "Import finished" })).toBeVisible({ timeout: 30_000 });
  const progress = page.getByRole("progressbar", { name: "Import progress" });
  await expect(progress).toHaveAttribute("value", String(FLEET_FILES.length));
  await expect(progress).toHaveAttribute("max", String(FLEET_FILES.length));
  await expect(page.getByText(`${FLEET_FILES.length} of ${FLEET_FILES.length} files`)).toBeVisible();
}

async function openProject(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page);
  await page.getByLabel("Project").selectOption({ label: `${PROJECT} (owner)` });
  await openAgents(page);
  return { context, page };
}

test("a new project gets the demo identity set by bulk import", async ({ page }) => {
  expect(FLEET_FILES.length).toBeGreaterThan(0);
  await logIn(page);
  await openAgents(page);
  await page.getByRole("button", { name: "New project" }).click();
  const dialog = page.getByRole("dialog", { name: "New project" });
  await dialog.getByLabel("Project name").fill(PROJECT);
  await dialog.getByRole("button", { name: "Create project" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByLabel("Project")).toHaveValue(/.+/);
  await expect(page.getByLabel("Project").locator("option:checked")).toHaveText(`${PROJECT} (owner)`);
  await expect(page.getByText("No agents in this project yet.")).toBeVisible();

  await page.getByRole("link", { name: "Import agents" }).click();
  await page.waitForURL(/\/agents\/import/);
  await importFleet(page);
  const created = await outcome(page, "created");
  expect(created).toBeGreaterThan(150);
  expect(await outcome(page, "rejected")).toBe(0);
  await expect(page.locator('[data-outcome="file-errors"]')).toHaveCount(0);
  await expect(page.getByRole("table", { name: "Import report" }).locator("tbody tr")).toHaveCount(FLEET_FILES.length);

  // The same files again change nothing.
  await importFleet(page);
  expect(await outcome(page, "unchanged")).toBe(created);
  expect(await outcome(page, "created")).toBe(0);
  expect(await outcome(page, "updated")).toBe(0);
  expect(await outcome(page, "rejected")).toBe(0);

  await page.getByRole("link", { name: "See the fleet" }).click();
  await openAgents(page);
  await expect(page.getByTestId("summary-total")).toHaveText(String(created));
  await expect(page.getByRole("button", { name: new RegExp(`^Offline\\s*:\\s*${created}$`) })).toBeVisible();
});

test("the fleet filters by role and switches between table and grid", async ({ browser }) => {
  const { context, page } = await openProject(browser);
  const reviewers = countRole("reviewer");
  expect(reviewers).toBeGreaterThanOrEqual(3);
  await page.getByLabel("Role filter").selectOption("reviewer");
  await expect(page.locator("tr[data-agent]")).toHaveCount(reviewers);
  for (const cell of await page.locator("tr[data-agent] td[data-label=Role]").allTextContents())
    expect(cell).toBe("reviewer");

  await page.getByRole("button", { name: "Grid", exact: true }).click();
  await expect(page.getByRole("list", { name: "Agents" }).locator("li[data-agent]")).toHaveCount(reviewers);
  await page.reload();
  await openProjectAgain(page);
  await expect(page.getByRole("button", { name: "Grid", exact: true })).toHaveAttribute("aria-pressed", "true");
  await page.getByRole("button", { name: "Table", exact: true }).click();
  await expect(page.getByRole("table")).toBeVisible();
  await context.close();
});

async function openProjectAgain(page: Page) {
  await expect(page.getByLabel("Project").locator("option:checked")).toHaveText(`${PROJECT} (owner)`);
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
}

test("team deactivation and the kill switch reach a second session live", async ({ browser }) => {
  const { context: contextA, page: a } = await openProject(browser);
  const { context: contextB, page: b } = await openProject(browser);

  // A creates a team of 3 reviewers and activates it.
  await a.getByRole("button", { name: "New team" }).click();
  const dialog = a.getByRole("dialog", { name: "New team" });
  await dialog.getByLabel("Team name").fill(TEAM);
  await dialog.getByLabel("Team description").fill("Reviews everything before release");
  await dialog.getByLabel("Role 1", { exact: true }).fill("reviewer");
  await dialog.getByLabel("Count 1", { exact: true }).fill("3");
  await dialog.getByRole("button", { name: "Create team" }).click();
  await expect(dialog).toBeHidden();
  const teamA = a.locator(`[data-team="${TEAM}"]`);
  await expect(teamA).toContainText("3 reviewer");
  await expect(b.locator(`[data-team="${TEAM}"]`)).toContainText("3 reviewer");

  await a.getByRole("button", { name: `Activate ${TEAM}`, exact: true }).click();
  await expect(teamA.getByRole("status")).toContainText(/enabled/);
  await expect(teamA.locator("[data-member]")).toHaveCount(3);
  await expect(teamA.getByText("active", { exact: true })).toBeVisible();
  const members = await teamA
    .locator("[data-member]")
    .evaluateAll((els) => els.map((el) => el.getAttribute("data-member") ?? ""));

  // B watches the reviewers; A deactivates the team.
  await b.getByLabel("Role filter").selectOption("reviewer");
  for (const name of members) await expect(agentRow(b, name)).not.toHaveAttribute("data-status", "disabled");
  await a.getByRole("button", { name: `Deactivate ${TEAM}`, exact: true }).click();
  await expect(teamA.getByRole("status")).toContainText(`3 agents disabled`);
  for (const name of members) {
    await expect(agentRow(b, name)).toHaveAttribute("data-status", "disabled");
    await expect(agentRow(b, name)).toContainText("disabled");
  }
  await expect(b.locator('tr[data-agent][data-status="disabled"]')).toHaveCount(members.length);
  await expect(b.locator(`[data-team="${TEAM}"]`)).toContainText("inactive");

  // The kill switch: the project name must be typed back.
  await b.getByLabel("Role filter").selectOption("");
  const total = Number(await b.getByTestId("summary-total").textContent());
  expect(total).toBeGreaterThan(150);
  await a.getByRole("button", { name: "Deactivate all", exact: true }).click();
  const kill = a.getByRole("dialog", { name: "Deactivate all agents?" });
  const confirm = kill.getByRole("button", { name: "Deactivate all agents" });
  await expect(confirm).toBeDisabled();
  await kill.getByLabel("Type the project name to confirm").fill(PROJECT.toUpperCase());
  await expect(confirm).toBeDisabled();
  await kill.getByLabel("Type the project name to confirm").fill(PROJECT);
  await expect(confirm).toBeEnabled();
  await confirm.click();
  await expect(kill.getByRole("status")).toHaveText(`${total - members.length} agents disabled.`);
  await kill.getByRole("button", { name: "Close" }).click();
  await expect(kill).toBeHidden();

  await expect(b.getByRole("button", { name: new RegExp(`^Disabled\\s*:\\s*${total}$`) })).toBeVisible();
  await expect(b.locator("tr[data-agent]").first()).toBeVisible();
  await expect(b.locator('tr[data-agent]:not([data-status="disabled"])')).toHaveCount(0);

  await contextA.close();
  await contextB.close();
});

test("the agent page shows the profile and live activity, and works on a phone", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await logIn(page);
  await page.getByLabel("Project").selectOption({ label: `${PROJECT} (owner)` });
  await openAgents(page);
  let overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  const row = page.locator("tr[data-agent]").first();
  const name = (await row.getAttribute("data-agent")) ?? "";
  await row.getByRole("link", { name }).click();
  await page.waitForURL(/\/agents\/[^/?]+\?/);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Profile" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Performance" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Current session" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Session history" })).toBeVisible();
  await expect(page.getByText("No live session.")).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();

  await page.getByRole("button", { name: "Enable", exact: true }).click();
  await expect(page.getByRole("button", { name: "Disable", exact: true })).toBeVisible();
  await expect(page.getByRole("list", { name: "Activity" })).toContainText("status disabled → offline");
  overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  await page.goto("/agents/import");
  await expect(page.getByRole("heading", { name: "Import agents" })).toBeVisible();
  overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await context.close();
});
