import { expect, request, test, type Page } from "@playwright/test";
import { answerLate, ensureOwner, logIn, logInAs, OWNER, ownerApi, type ApiCall } from "./helpers";

// Work → Test suites. The e2e API server offers the suites in e2e/fixtures/tower-suites.yaml
// (playwright.config.ts sets TOWER_SUITES_PATH): the shipped Tower smoke check pointed at the e2e
// API server, a node:test file with one failing test, and one that never ends. An operator starts
// each from the browser and follows it live (the progress bar, results, failure messages, output),
// cancels the one that hangs, and finds every run in the history; a viewer sees them with no
// buttons. Runs in the "suites" project, after "chromium" (tower.spec.ts signs the owner up); run
// alone, it creates the owner itself.

test.describe.configure({ mode: "serial" });

const API_URL = process.env.TOWER_E2E_API_URL!;
const STAMP = Date.now().toString(36);
const PROJECT = `Suites e2e ${STAMP}`;
const VIEWER = { name: "Vera Viewer", email: `viewer-${STAMP}@example.test`, password: "quiet-lantern-harbour-87" };

let api: { call: ApiCall; dispose(): Promise<void> };
let projectId = "";
/** The runs this spec started, by suite name, as their pages' URLs name them. */
const runIds: Record<string, string> = {};

/** A viewer of the spec's project, signed up with an invite the owner made. */
async function addViewer() {
  const invite = await api.call<{ token: string }>("invite.create", { projectId, role: "viewer" });
  const context = await request.newContext();
  const signUp = await context.post(`${API_URL}/trpc/auth.signUp`, { data: { ...VIEWER, inviteToken: invite.token } });
  expect(signUp.ok(), await signUp.text()).toBe(true);
  await context.dispose();
}

const inProject = (path: string) => `${path}?project=${encodeURIComponent(projectId)}`;

/** Opens Work → Test suites in the spec's project, live, with its suites and history loaded. */
async function openSuites(page: Page) {
  await page.goto(inProject("/work/suites"));
  await expect(page.getByRole("heading", { name: "Work", level: 1 })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
  await expect(page.locator(".loading")).toHaveCount(0);
}

/** Start on a suite's card, then its run's page, opened at once; returns the run's id. */
async function start(page: Page, suite: string, title: string): Promise<string> {
  await suiteCard(page, suite)
    .getByRole("button", { name: `Start ${title}` })
    .click();
  await page.waitForURL(/\/work\/suites\/runs\/[^/?]+/);
  await expect(page.getByRole("heading", { name: title, level: 1 })).toBeVisible();
  const id = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
  runIds[suite] = id;
  return id;
}

const suiteCard = (page: Page, suite: string) => page.locator(`li[data-suite="${suite}"]`);
const statusBadge = (page: Page) => page.locator(".page-head [data-status]");
const progressBar = (page: Page) => page.getByRole("progressbar", { name: "Suite progress" });
const results = (page: Page) => page.locator("li[data-result]");
const result = (page: Page, name: string) => page.locator(`li[data-result="${name}"]`);
const count = (page: Page, which: string) => page.locator(`dd[data-count="${which}"]`);

test.beforeAll(async () => {
  await ensureOwner();
  api = await ownerApi();
  ({ projectId } = await api.call<{ projectId: string }>("project.create", { name: PROJECT }));
});

test.afterAll(async () => {
  await api?.dispose();
});

test("the server's suites are listed with their command, format and timeout, and nothing has run yet", async ({
  page,
}) => {
  await logIn(page);
  await openSuites(page);
  await expect(
    page.getByRole("navigation", { name: "Work views" }).getByRole("link", { name: "Test suites" }),
  ).toHaveAttribute("aria-current", "page");
  await expect(page.locator("li[data-suite]")).toHaveCount(3);
  const smoke = suiteCard(page, "tower-smoke");
  await expect(smoke.getByRole("heading", { name: "Tower smoke check" })).toBeVisible();
  await expect(smoke).toContainText("A small Playwright check of the running Tower itself");
  // The command as configured on the server, for reading only.
  await expect(smoke.locator(".suite-command")).toHaveText(
    'pnpm exec playwright test --config suites/tower-smoke.config.mjs --reporter="$TOWER_PLAYWRIGHT_REPORTER"',
  );
  await expect(smoke).toContainText("Tower live reporter");
  await expect(smoke).toContainText("2 min");
  await expect(suiteCard(page, "soak")).toContainText("10 min");
  await expect(page.getByText(/Configured on the server in .*tower-suites\.yaml/)).toBeVisible();
  await expect(page.getByText("No suite has run yet: start one above.")).toBeVisible();
});

test("the example Tower smoke suite starts from the browser, its results stream in against the total, and it passes", async ({
  page,
}) => {
  await logIn(page);
  await openSuites(page);
  await start(page, "tower-smoke", "Tower smoke check");
  // The page opened as the run began; what follows comes over the live feed, with no reload.
  await expect(page.getByRole("button", { name: "Cancel run" })).toBeVisible();
  await expect(statusBadge(page)).toHaveText("passed", { timeout: 60_000 });
  // The reporter announced 4 tests up front: the bar is against that total.
  await expect(progressBar(page)).toHaveAttribute("max", "4");
  await expect(progressBar(page)).toHaveAttribute("value", "4");
  await expect(page.locator(".suite-progress .progress-text")).toContainText("4 of 4");
  await expect(count(page, "passed")).toHaveText("4");
  await expect(count(page, "failed")).toHaveText("0");
  await expect(count(page, "total")).toHaveText("4");
  await expect(results(page)).toHaveCount(4);
  await expect(page.locator('li[data-result][data-status="passed"]')).toHaveCount(4);
  await expect(result(page, "is alive")).toContainText("passed");
  await expect(result(page, "refuses the API without a session or key")).toContainText("tower.spec.mjs");
  await expect(page.getByRole("region", { name: "Details" })).toContainText("code 0");
  await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);
  await expect(page.getByRole("region", { name: "Problems" })).toHaveCount(0);
});

test("a failing suite shows the failed test first, with its message, and filters by outcome", async ({ page }) => {
  await logIn(page);
  await openSuites(page);
  await start(page, "checkout-unit", "Checkout unit tests");
  await expect(statusBadge(page)).toHaveText("failed", { timeout: 30_000 });
  await expect(count(page, "passed")).toHaveText("1");
  await expect(count(page, "failed")).toHaveText("1");
  await expect(count(page, "skipped")).toHaveText("1");
  // node:test tells its total at the end: the bar is full once it has.
  await expect(count(page, "total")).toHaveText("3");
  await expect(progressBar(page)).toHaveAttribute("value", "3");

  // All results, failures first, the failure's message open below it.
  await expect(results(page)).toHaveCount(3);
  const failed = result(page, "applies the discount code");
  await expect(results(page).first()).toHaveAttribute("data-result", "applies the discount code");
  await expect(failed).toHaveAttribute("data-status", "failed");
  await expect(failed.locator("[data-failure-message]")).toBeVisible();
  await expect(failed.locator("[data-failure-message]")).toContainText("95 !== 90");
  await expect(failed).toContainText("checkout-suite.ts");
  await expect(result(page, "ships abroad")).toContainText("no carrier in the test setup");

  // One outcome at a time, kept in the URL.
  const filter = page.getByRole("group", { name: "Show results" });
  await filter.getByRole("button", { name: "Failed 1" }).click();
  await expect(page).toHaveURL(/[?&]results=failed/);
  await expect(filter.getByRole("button", { name: "Failed 1" })).toHaveAttribute("aria-pressed", "true");
  await expect(results(page)).toHaveCount(1);
  await expect(results(page)).toHaveAttribute("data-result", "applies the discount code");
  await filter.getByRole("button", { name: "Passed 1" }).click();
  await expect(results(page)).toHaveCount(1);
  await expect(results(page)).toHaveAttribute("data-result", "adds up the basket");
  await page.reload();
  await expect(
    page.getByRole("group", { name: "Show results" }).getByRole("button", { name: "Passed 1" }),
  ).toHaveAttribute("aria-pressed", "true");
  await expect(results(page)).toHaveAttribute("data-result", "adds up the basket");

  // What the command printed, and how it exited.
  await expect(page.getByRole("list", { name: "Output lines" })).toContainText("# tests 3");
  await expect(page.getByRole("region", { name: "Details" })).toContainText("code 1");
});

test("a suite that hangs is followed live, then cancelled from the browser, and ends cancelled", async ({ page }) => {
  await logIn(page);
  await openSuites(page);
  const id = await start(page, "soak", "Soak test");
  await expect(statusBadge(page)).toHaveText("running");
  // Its first test's result arrives while it runs; the total is not known yet, so the bar is indeterminate.
  await expect(result(page, "warms up")).toHaveAttribute("data-status", "passed", { timeout: 30_000 });
  await expect(statusBadge(page)).toHaveText("running");
  await expect(count(page, "passed")).toHaveText("1");
  await expect(count(page, "total")).toHaveText("not known yet");
  await expect(progressBar(page)).not.toHaveAttribute("value");
  await expect(page.locator(".suite-progress .progress-text")).toContainText("1 so far");

  // The suites page knows it runs: its card links to the run instead of offering Start.
  await page.getByRole("link", { name: "← Test suites" }).click();
  await expect(page.locator(`tr[data-suite-run="${id}"]`)).toHaveAttribute("data-status", "running");
  await expect(suiteCard(page, "soak").getByRole("button", { name: "Start Soak test" })).toHaveCount(0);
  await suiteCard(page, "soak").getByRole("link", { name: "Running now: watch it (Soak test)" }).click();
  await page.waitForURL((url) => url.pathname.endsWith(`/work/suites/runs/${id}`));

  await page.getByRole("button", { name: "Cancel run" }).click();
  // The server stops the command's process group; the run ends cancelled once it is gone.
  await expect(statusBadge(page)).toHaveText("cancelled", { timeout: 20_000 });
  await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "Cancelling" })).toHaveCount(0);
  await expect(result(page, "warms up")).toBeVisible();
  await expect(result(page, "soaks until cancelled")).toHaveCount(0);
});

test("the history keeps every run, newest first, with its results, and filters by suite", async ({ page }) => {
  await logIn(page);
  await openSuites(page);
  const rows = page.locator("tr[data-suite-run]");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toHaveAttribute("data-suite-run", runIds.soak!);
  await expect(rows.nth(0)).toHaveAttribute("data-status", "cancelled");
  await expect(rows.nth(1)).toHaveAttribute("data-suite-run", runIds["checkout-unit"]!);
  await expect(rows.nth(1)).toHaveAttribute("data-status", "failed");
  await expect(rows.nth(1)).toContainText("1 passed, 1 failed, 1 skipped");
  await expect(rows.nth(2)).toHaveAttribute("data-suite-run", runIds["tower-smoke"]!);
  await expect(rows.nth(2)).toHaveAttribute("data-status", "passed");
  await expect(rows.nth(2)).toContainText("4 passed");
  // Who started each: the owner's account, as the audit trail names it.
  for (const row of await rows.all()) await expect(row.locator('td[data-label="Started by"]')).toHaveText(OWNER.name);

  await page.getByLabel("Suite", { exact: true }).selectOption({ label: "Checkout unit tests" });
  await expect(page).toHaveURL(/[?&]suite=checkout-unit/);
  await expect(rows).toHaveCount(1);
  // An ended run keeps its results: the failure and its message, from the history.
  await rows.getByRole("link", { name: "Checkout unit tests" }).click();
  await expect(page.getByRole("heading", { name: "Checkout unit tests", level: 1 })).toBeVisible();
  await expect(result(page, "applies the discount code").locator("[data-failure-message]")).toContainText("95 !== 90");
});

test("a viewer watches suites run live, with no Start or Cancel", async ({ browser }) => {
  await addViewer();
  const context = await browser.newContext();
  const page = await context.newPage();
  await logInAs(page, VIEWER);
  await openSuites(page);
  await expect(page.locator("li[data-suite]")).toHaveCount(3);
  const rows = page.locator("tr[data-suite-run]");
  await expect(rows).toHaveCount(3);
  await expect(page.getByRole("button", { name: /^Start / })).toHaveCount(0);

  // An operator (the owner, behind the page's back) starts one: the viewer's history shows it at once.
  const run = await api.call<{ id: string }>("suite.start", { projectId, name: "soak" });
  await expect(rows).toHaveCount(4);
  await expect(rows.first()).toHaveAttribute("data-suite-run", run.id);
  await expect(rows.first()).toHaveAttribute("data-status", "running");
  await suiteCard(page, "soak").getByRole("link", { name: "Running now: watch it (Soak test)" }).click();
  await page.waitForURL((url) => url.pathname.endsWith(`/work/suites/runs/${run.id}`));
  await expect(statusBadge(page)).toHaveText("running");
  await expect(result(page, "warms up")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);

  await api.call("suite.cancel", { projectId, id: run.id });
  await expect(statusBadge(page)).toHaveText("cancelled", { timeout: 20_000 });
  await context.close();
});

test.describe(() => {
  // The page's own reads, not its service worker's, so that the test can answer them (Playwright's
  // routes do not see requests a service worker makes).
  test.use({ serviceWorkers: "block" });

  test("an answer read before a live change never takes the change back", async ({ page }) => {
    await logIn(page);
    const run = await api.call<{ id: string }>("suite.start", { projectId, name: "soak" });
    // The run as the server has it before its first result (its command is still starting): what an
    // answer read then and delivered late carries.
    const before = await api.call<{ passed: number; outputLines: number }>(
      `suite.runById?input=${encodeURIComponent(JSON.stringify({ projectId, id: run.id }))}`,
    );
    expect(before.passed).toBe(0);
    await page.goto(inProject(`/work/suites/runs/${encodeURIComponent(run.id)}`));
    await expect(result(page, "warms up")).toHaveAttribute("data-status", "passed", { timeout: 30_000 });

    // From now on the run's reads answer with that earlier copy, as a read that crossed the live
    // change on the wire would. Back to the suites and into the run again: the page (kept in the
    // cache) opens its feed anew and reads the run again.
    const lateAnswers = await answerLate(page, "suite.runById", before);
    await page.getByRole("link", { name: "← Test suites" }).click();
    await suiteCard(page, "soak").getByRole("link", { name: "Running now: watch it (Soak test)" }).click();
    await page.waitForURL((url) => url.pathname.endsWith(`/work/suites/runs/${run.id}`));
    await expect.poll(lateAnswers).toBeGreaterThan(0);

    // The page keeps what the feed told it: the result and its count stay.
    await expect(count(page, "passed")).toHaveText("1");
    await expect(result(page, "warms up")).toBeVisible();
    await expect(page.getByText("No results yet.")).toHaveCount(0);
    await page.unrouteAll({ behavior: "ignoreErrors" });
    await api.call("suite.cancel", { projectId, id: run.id });
  });
});
