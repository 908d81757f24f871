import type { TowerClient } from "@tower/sdk";
import type { RunAssignment } from "@tower/shared";
import { expect, test, type Page } from "@playwright/test";
import { answerLate, ensureOwner, logIn, ownerApi, type ApiCall } from "./helpers";

// Work: tasks and runs. A person creates a task with a schedule (its preview comes from the server as
// they type), runs it now, and follows the run live while an agent works on it: the agent (an agent
// API key, the SDK's tRPC client) takes the run pushed over its WebSocket and reports progress, log
// lines and its output with `run.heartbeat` / `run.complete`, as `agent.work()` does. A second run is
// cancelled while it runs. Runs in the "chromium" project after tower.spec.ts (the owner exists);
// run alone, it creates the owner itself.

test.describe.configure({ mode: "serial" });

const API_URL = process.env.TOWER_E2E_API_URL!;
const STAMP = Date.now().toString(36);
const PROJECT = `Work e2e ${STAMP}`;
const AGENT = `worker-${STAMP}`;
const TASK = `nightly-report-${STAMP}`;

let api: { call: ApiCall; dispose(): Promise<void> };
let projectId = "";
let tower: TowerClient;
const assignments: RunAssignment[] = [];
let stopWorking = () => {};

/** The run the agent was given, once Tower pushed it. */
async function assigned(runId: string) {
  await expect.poll(() => assignments.some((a) => a.type === "run" && a.run.id === runId)).toBe(true);
  const assignment = assignments.find((a) => a.type === "run" && a.run.id === runId);
  if (assignment?.type !== "run") throw new Error("not a run");
  return assignment.run;
}

/** Opens Work → Tasks in the spec's project, live. */
async function openTasks(page: Page) {
  await logIn(page);
  await page.goto(`/work?project=${encodeURIComponent(projectId)}`);
  await expect(page.getByRole("heading", { name: "Work", level: 1 })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText("Loading tasks…")).toHaveCount(0);
}

/** Run now on the task's row, then the run's page from the notice; returns the run's id. */
async function runNow(page: Page): Promise<string> {
  await page.getByRole("button", { name: `Run now: ${TASK}` }).click();
  await expect(page.getByRole("status").filter({ hasText: "is queued" })).toBeVisible();
  await page.getByRole("link", { name: "Open the run" }).click();
  await page.waitForURL(/\/work\/runs\/[^/?]+/);
  await expect(page.getByRole("heading", { name: `Run of ${TASK}`, level: 1 })).toBeVisible();
  return decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
}

const statusBadge = (page: Page) => page.locator(".page-head [data-status]");

test.beforeAll(async () => {
  await ensureOwner();
  api = await ownerApi();
  ({ projectId } = await api.call<{ projectId: string }>("project.create", { name: PROJECT }));
  await api.call("agent.create", { projectId, name: AGENT, role: "reporter" });
  const key = await api.call<{ secret: string }>("apiKey.create", {
    projectId,
    name: `work-${STAMP}`,
    scopes: ["agent"],
    agentNames: [AGENT],
  });
  const { createTowerClient } = await import("@tower/sdk");
  tower = createTowerClient({ url: API_URL, apiKey: key.secret });
  // The agent waits for work: Tower pushes each run it may take (claimed for it) and word of a cancel.
  const subscription = tower.api.run.assignments.subscribe(
    { agent: AGENT, concurrency: 2 },
    { onData: (assignment) => void assignments.push(assignment as RunAssignment) },
  );
  stopWorking = () => subscription.unsubscribe();
});

test.afterAll(async () => {
  stopWorking();
  tower?.close();
  await api?.dispose();
});

test("a task is created with a schedule previewed live, and field errors come from the form and the server", async ({
  page,
}) => {
  await openTasks(page);
  await expect(page.getByText("No tasks yet.")).toBeVisible();
  await page.getByRole("button", { name: "New task" }).click();
  const dialog = page.getByRole("dialog", { name: "New task" });
  await dialog.getByLabel("Name", { exact: true }).fill(TASK);
  await dialog.getByLabel("Who runs it").selectOption({ label: "One named agent" });
  await dialog.getByLabel("Agent name").fill(AGENT);
  await dialog.getByLabel("Input (JSON)").fill('{"report": "daily"');
  await expect(dialog.getByRole("region", { name: "Schedule preview" })).toContainText("No schedule");

  // A bad expression: the server's reason, as typed.
  await dialog.getByLabel("Schedule (cron)").fill("every morning");
  await expect(dialog.locator("[data-preview-error]")).toContainText("Not a valid cron expression");
  // A good one, in another zone: its next five fires, in words and in that zone.
  await dialog.getByLabel("Schedule (cron)").fill("0 9 * * 1-5");
  await dialog.getByLabel("Time zone").fill("Europe/Paris");
  const fires = dialog.locator("[data-preview-fires] li");
  await expect(fires).toHaveCount(5);
  await expect(dialog.getByRole("region", { name: "Schedule preview" })).toContainText("(Europe/Paris)");
  for (const fire of await fires.all()) await expect(fire).toContainText("9:00");
  // An unknown zone: the server names the field.
  await dialog.getByLabel("Time zone").fill("Mars/Olympus");
  await expect(dialog.locator("[data-preview-error]")).toContainText('Unknown time zone "Mars/Olympus"');
  await dialog.getByLabel("Time zone").fill("Europe/Paris");
  await expect(fires).toHaveCount(5);

  // The input is checked as JSON before anything is sent.
  await dialog.getByRole("button", { name: "Create task" }).click();
  await expect(dialog.getByLabel("Input (JSON)")).toHaveAttribute("aria-invalid", "true");
  await expect(dialog.getByText(/^Not valid JSON/)).toBeVisible();
  await dialog.getByLabel("Input (JSON)").fill('{"report": "daily"}');
  await dialog.getByRole("button", { name: "Create task" }).click();
  await expect(dialog).toBeHidden();

  const row = page.locator(`tr[data-task="${TASK}"]`);
  await expect(row).toContainText("On weekdays at 09:00");
  await expect(row).toContainText("Europe/Paris");
  await expect(row).toContainText("Next:");
  await expect(row).toContainText(`agent ${AGENT}`);

  // The same name again: the server refuses it, at the Name field.
  await page.getByRole("button", { name: "New task" }).click();
  const again = page.getByRole("dialog", { name: "New task" });
  await again.getByLabel("Name", { exact: true }).fill(TASK);
  await again.getByRole("button", { name: "Create task" }).click();
  await expect(again.getByLabel("Name", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(again.getByText(/already exists/)).toBeVisible();
  await again.getByRole("button", { name: "Cancel" }).click();
  await expect(again).toBeHidden();

  // Pause and resume: the badge and the next fire follow.
  await row.getByRole("button", { name: `Pause ${TASK}` }).click();
  await expect(row.getByText("paused", { exact: true })).toBeVisible();
  await expect(row).toContainText("Paused: no next run");
  await row.getByRole("button", { name: `Resume ${TASK}` }).click();
  await expect(row.getByText("paused", { exact: true })).toHaveCount(0);
  await expect(row).toContainText("Next:");
});

test("run now: the agent takes the run, its progress and log stream in live, and it succeeds with its output", async ({
  page,
}) => {
  await openTasks(page);
  const runId = await runNow(page);
  const run = await assigned(runId);
  expect(run.input).toEqual({ report: "daily" });
  await expect(statusBadge(page)).toHaveText("leased");

  // The agent works: progress and log lines reach the page without a reload.
  await tower.api.run.heartbeat.mutate({
    id: runId,
    attempt: run.attempt,
    progress: 40,
    message: "rendering charts",
    logs: ["fetched 12 pages"],
  });
  await expect(statusBadge(page)).toHaveText("running");
  await expect(page.getByRole("progressbar", { name: "Run progress" })).toHaveAttribute("value", "40");
  await expect(page.getByText("40 %")).toBeVisible();
  await expect(page.locator("[data-progress-message]")).toHaveText("rendering charts");
  const log = page.getByRole("list", { name: "Log lines" });
  await expect(log).toContainText("fetched 12 pages");
  await tower.api.run.heartbeat.mutate({ id: runId, attempt: run.attempt, progress: 80, logs: ["charts done"] });
  await expect(page.getByText("80 %")).toBeVisible();
  await expect(log.getByRole("listitem")).toHaveCount(2);
  await expect(log).toContainText("charts done");

  await tower.api.run.complete.mutate({ id: runId, attempt: run.attempt, output: { pages: 12, url: "report.pdf" } });
  await expect(statusBadge(page)).toHaveText("succeeded");
  await expect(page.getByRole("region", { name: "Output JSON" })).toContainText('"url": "report.pdf"');
  await expect(page.getByRole("region", { name: "Input JSON" })).toContainText('"report": "daily"');
  await expect(page.getByText("100 %")).toBeVisible();
  await expect(page.getByRole("region", { name: "Timeline" })).toContainText("Finished: succeeded");
  await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Retry" })).toBeVisible();

  // The runs list: newest first, its status in words, the attempt and the agent.
  await page.getByRole("link", { name: "← Runs" }).click();
  await expect(
    page.getByRole("navigation", { name: "Work views" }).getByRole("link", { name: "Runs" }),
  ).toHaveAttribute("aria-current", "page");
  const row = page.locator(`tr[data-run="${runId}"]`);
  await expect(row).toContainText("succeeded");
  await expect(row).toContainText("1/1");
  await expect(row).toContainText(AGENT);
  await page.getByLabel("Status", { exact: true }).selectOption({ label: "failed" });
  await expect(page.getByText("No runs match these filters.")).toBeVisible();
  await page.getByLabel("Status", { exact: true }).selectOption({ label: "succeeded" });
  await expect(row).toBeVisible();
});

test("a running run is cancelled from its page and ends cancelled; Retry starts it again", async ({ page }) => {
  await openTasks(page);
  const runId = await runNow(page);
  const run = await assigned(runId);
  await tower.api.run.heartbeat.mutate({ id: runId, attempt: run.attempt, progress: 10, logs: ["started"] });
  await expect(statusBadge(page)).toHaveText("running");

  await page.getByRole("button", { name: "Cancel run" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Cancelling" })).toBeVisible();
  // The agent hears of it over its connection (and from its next heartbeat), stops and reports.
  await expect.poll(() => assignments.some((a) => a.type === "cancel" && a.runId === runId)).toBe(true);
  const answer = await tower.api.run.heartbeat.mutate({ id: runId, attempt: run.attempt });
  expect(answer.cancelRequested).toBe(true);
  await tower.api.run.fail.mutate({ id: runId, attempt: run.attempt, error: "stopped on request" });
  await expect(statusBadge(page)).toHaveText("cancelled");
  await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);

  // Retry: a new run of the same task, opened at once; the agent takes it.
  await page.getByRole("button", { name: "Retry" }).click();
  await page.waitForURL((url) => url.pathname.startsWith("/work/runs/") && !url.pathname.endsWith(runId));
  const retryId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
  await expect(page.getByText("A retry of")).toBeVisible();
  const retried = await assigned(retryId);
  await tower.api.run.complete.mutate({ id: retryId, attempt: retried.attempt, output: null });
  await expect(statusBadge(page)).toHaveText("succeeded");
});

test.describe(() => {
  // The page's own reads, not its service worker's, so that the test can answer them (Playwright's
  // routes do not see requests a service worker makes).
  test.use({ serviceWorkers: "block" });

  test("an answer read before a live change never takes the change back", async ({ page }) => {
    await openTasks(page);
    const runId = await runNow(page);
    const run = await assigned(runId);
    await expect(statusBadge(page)).toHaveText("leased");
    // The run as the server has it now, before the agent reports: what an answer read now and
    // delivered late carries.
    const before = await api.call<{ status: string }>(
      `run.byId?input=${encodeURIComponent(JSON.stringify({ projectId, id: runId }))}`,
    );
    expect(before.status).toBe("leased");
    await tower.api.run.heartbeat.mutate({ id: runId, attempt: run.attempt, progress: 30, logs: ["warming up"] });
    await expect(statusBadge(page)).toHaveText("running");

    // From now on the run's reads answer with that earlier copy, as a read that crossed the live
    // change on the wire would. Back to the runs and into the run again: the page (kept in the
    // cache) opens its feed anew and reads the run again.
    const lateAnswers = await answerLate(page, "run.byId", before);
    await page.getByRole("link", { name: "← Runs" }).click();
    await page.locator(`tr[data-run="${runId}"]`).getByRole("link").first().click();
    await page.waitForURL((url) => url.pathname.endsWith(`/work/runs/${runId}`));
    await expect.poll(lateAnswers).toBeGreaterThan(0);

    // The page keeps what the feed told it: running, at 30 %.
    await expect(statusBadge(page)).toHaveText("running");
    await expect(page.getByText("30 %")).toBeVisible();
    await page.unrouteAll({ behavior: "ignoreErrors" });
    await tower.api.run.complete.mutate({ id: runId, attempt: run.attempt, output: null });
    await expect(statusBadge(page)).toHaveText("succeeded");
  });

  test("the runs list never takes back a run's live change with an answer read before it", async ({ page }) => {
    await openTasks(page);
    const runId = await runNow(page);
    const run = await assigned(runId);
    await page.getByRole("link", { name: "← Runs" }).click();
    const row = page.locator(`tr[data-run="${runId}"]`);
    await expect(row).toContainText("leased");
    // The list's first page as the server reads it now: what an answer read now and delivered late carries.
    const before = await api.call<{ items: { id: string; status: string }[] }>(
      `run.list?input=${encodeURIComponent(JSON.stringify({ projectId, limit: 50 }))}`,
    );
    expect(before.items.find((item) => item.id === runId)?.status).toBe("leased");
    await tower.api.run.heartbeat.mutate({ id: runId, attempt: run.attempt, progress: 50 });
    await expect(row).toContainText("running");

    // Tasks, then Runs again: the list (kept in the cache) opens its feed anew and reads again, late.
    const lateAnswers = await answerLate(page, "run.list", before);
    const views = page.getByRole("navigation", { name: "Work views" });
    await views.getByRole("link", { name: "Tasks" }).click();
    await views.getByRole("link", { name: "Runs" }).click();
    await expect.poll(lateAnswers).toBeGreaterThan(0);
    await expect(row).toContainText("running");
    await expect(row).not.toContainText("leased");
    await page.unrouteAll({ behavior: "ignoreErrors" });
    await tower.api.run.complete.mutate({ id: runId, attempt: run.attempt, output: null });
    await expect(row).toContainText("succeeded");
  });
});

test("a task is deleted after a confirm; its runs stay in the history", async ({ page }) => {
  await openTasks(page);
  await page.getByRole("button", { name: `Delete ${TASK}` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete ${TASK}?` });
  await expect(confirm).toBeVisible();
  await confirm.getByRole("button", { name: "Delete task" }).click();
  await expect(confirm).toBeHidden();
  await expect(page.locator(`tr[data-task="${TASK}"]`)).toHaveCount(0);
  await page.goto(`/work/runs?project=${encodeURIComponent(projectId)}`);
  await expect(page.locator("tr[data-run]")).toHaveCount(5);
});
