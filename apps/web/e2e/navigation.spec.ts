import { expect, test, type Page } from "@playwright/test";
import { logIn } from "./helpers";

// The shell rendered once by the layout, and each page's view (filters, sort) kept in the URL.
// Runs after tower.spec.ts (the owner account and the demo project exist).
test.describe.configure({ mode: "serial" });

const DEMO = "Demo fleet (owner)";

async function openDemo(page: Page) {
  await logIn(page);
  await page.getByLabel("Project").selectOption({ label: DEMO });
  await expect(page.getByRole("banner").getByRole("status")).toHaveText("Live", { timeout: 20_000 });
}

/** The query string's params, for comparing URLs whatever their order. */
function params(page: Page): Record<string, string> {
  return Object.fromEntries(new URL(page.url()).searchParams);
}

test("the shell is rendered once: moving between pages keeps it, its state included", async ({ page }) => {
  await openDemo(page);
  const header = page.getByRole("banner");
  // Marks a remounted shell would lose: a data attribute on the header's node, the account menu
  // left open (a <details>), and the project switcher's element itself.
  await header.evaluate((el) => el.setAttribute("data-e2e-mark", "kept"));
  await header.locator("details.user-menu summary").click();
  await expect(header.locator("details.user-menu")).toHaveAttribute("open", "");
  const switcher = await page.getByLabel("Project").elementHandle();
  expect(switcher).not.toBeNull();

  const stops: [link: string, heading: string][] = [
    ["Agents", "Agents"],
    ["Metrics", "Metrics"],
    ["Audit", "Audit trail"],
    ["Settings", "Settings"],
    ["Overview", "Overview"],
  ];
  for (const [link, heading] of stops) {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link, exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    await expect(page.locator('header[data-e2e-mark="kept"]'), `after opening ${link}`).toHaveCount(1);
    await expect(header.locator("details.user-menu"), `after opening ${link}`).toHaveAttribute("open", "");
    expect(await switcher!.evaluate((el) => el.isConnected), `switcher after opening ${link}`).toBe(true);
  }
  // Back and forward too.
  await page.goBack();
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  await expect(page.locator('header[data-e2e-mark="kept"]')).toHaveCount(1);
  expect(await switcher!.evaluate((el) => el.isConnected)).toBe(true);
  await expect(page.getByLabel("Project").locator("option:checked")).toHaveText(DEMO);
});

test("the fleet's filters and sort are in the URL: a link opens the view, Back restores the last one", async ({
  page,
}) => {
  await openDemo(page);
  await page.goto("/agents?role=reviewer&order=desc");
  await expect(page.locator("#filter-role-filter")).toHaveValue("reviewer");
  await expect(page.locator("#filter-order")).toHaveValue("desc");
  await expect(page.locator("#filter-sort-by")).toHaveValue("name");
  const roles = page.locator("tr[data-agent] td[data-label=Role]");
  await expect(roles.first()).toBeVisible();
  for (const role of await roles.allTextContents()) expect(role).toBe("reviewer");
  const names = await page
    .locator("tr[data-agent]")
    .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-agent")!));
  expect(names.length).toBeGreaterThan(1);
  expect(names).toEqual([...names].sort().reverse());

  // A choice changes the URL (one history entry), keeping the others.
  await page.locator("#filter-sort-by").selectOption("createdAt");
  await expect.poll(() => params(page)).toMatchObject({ role: "reviewer", order: "desc", sort: "createdAt" });
  // Typing reaches the URL once it pauses.
  await page.getByLabel("Search").fill("crit");
  await expect.poll(() => params(page).q).toBe("crit");
  await expect(page.locator('tr[data-agent="critic"]')).toBeVisible();
  await expect(page.locator("tr[data-agent]")).toHaveCount(1);

  // Back: first the view before the search, then the one before the sort.
  await page.goBack();
  await expect.poll(() => params(page)).toEqual({ role: "reviewer", order: "desc", sort: "createdAt" });
  await expect(page.getByLabel("Search")).toHaveValue("");
  await expect(page.locator("tr[data-agent]").nth(1)).toBeVisible();
  await page.goBack();
  await expect.poll(() => params(page)).toEqual({ role: "reviewer", order: "desc" });
  await expect(page.locator("#filter-sort-by")).toHaveValue("name");
  await expect(page.locator("#filter-role-filter")).toHaveValue("reviewer");
  await page.goForward();
  await expect(page.locator("#filter-sort-by")).toHaveValue("createdAt");

  // Clear filters: the role goes, the sort stays.
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect.poll(() => params(page)).toEqual({ order: "desc", sort: "createdAt" });
  await expect(page.locator("#filter-role-filter")).toHaveValue("");
});

test("the fleet ignores params it does not accept and shows the defaults", async ({ page }) => {
  await openDemo(page);
  await page.goto(`/agents?status=sleeping&sort=height&order=sideways&role=${"x".repeat(300)}`);
  await expect(page.locator("tr[data-agent]").first()).toBeVisible();
  await expect(page.locator("#filter-status")).toHaveValue("");
  await expect(page.locator("#filter-sort-by")).toHaveValue("name");
  await expect(page.locator("#filter-order")).toHaveValue("asc");
  await expect(page.locator("#filter-role-filter")).toHaveValue("");
  await expect(page.getByText(/Could not load agents/)).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Clear filters" })).toHaveCount(0);
});

test("the audit trail's filters are in the URL", async ({ page }) => {
  await openDemo(page);
  await page.goto("/audit?actorType=user&decision=denied&range=7d");
  await expect(page.getByLabel("Actor type")).toHaveValue("user");
  await expect(page.getByLabel("Decision")).toHaveValue("denied");
  await expect(page.getByLabel("Time range")).toHaveValue("7d");
  await expect(page.getByRole("button", { name: "Clear filters" })).toBeVisible();

  await page.getByLabel("Decision").selectOption("");
  await expect.poll(() => params(page)).toEqual({ actorType: "user", range: "7d" });
  // The dashboard's own actions are audited: a user's rows are there, and only theirs.
  const rows = page.getByRole("table", { name: "Audit rows" }).locator(".vrow[data-audit-id]");
  await expect(rows.first()).toBeVisible();
  for (const actor of await rows.locator(".actor-type").allTextContents()) expect(actor).toBe("user");
  await page.getByLabel("Operation").fill("agent.create");
  await expect.poll(() => params(page).operation).toBe("agent.create");

  await page.goBack();
  await expect.poll(() => params(page)).toEqual({ actorType: "user", range: "7d" });
  await expect(page.getByLabel("Operation")).toHaveValue("");
  await page.goBack();
  await expect(page.getByLabel("Decision")).toHaveValue("denied");
  await expect.poll(() => params(page)).toEqual({ actorType: "user", decision: "denied", range: "7d" });

  // Unknown values are ignored.
  await page.goto("/audit?decision=maybe&actorType=robot&range=1y");
  await expect(page.getByRole("table", { name: "Audit rows" })).toBeVisible();
  await expect(page.getByLabel("Decision")).toHaveValue("");
  await expect(page.getByLabel("Actor type")).toHaveValue("");
  await expect(page.getByLabel("Time range")).toHaveValue("");
});

test("the metrics view is in the URL", async ({ page }) => {
  await openDemo(page);
  await page.goto("/metrics?range=7d&scope=by-model");
  await expect(page.getByLabel("Time range")).toHaveValue("7d");
  await expect(page.getByLabel("Scope")).toHaveValue("by-model");
  await expect(page.getByRole("img", { name: "Cost by model chart" })).toBeVisible();

  // The default scope leaves the URL.
  await page.getByLabel("Scope").selectOption("fleet");
  await expect.poll(() => params(page)).toEqual({ range: "7d" });
  await page.getByLabel("Time range").selectOption("1h");
  await expect.poll(() => params(page)).toEqual({ range: "1h" });

  await page.goBack();
  await expect(page.getByLabel("Time range")).toHaveValue("7d");
  await page.goBack();
  await expect(page.getByLabel("Scope")).toHaveValue("by-model");
  await expect.poll(() => params(page)).toEqual({ range: "7d", scope: "by-model" });

  await page.goto("/metrics?range=2y&scope=everything");
  await expect(page.getByLabel("Time range")).toHaveValue("24h");
  await expect(page.getByLabel("Scope")).toHaveValue("fleet");
});
