import type { TowerClient } from "@tower/sdk";
import type { Run, RunAssignment } from "@tower/shared";
import { expect, request, test, type Locator, type Page } from "@playwright/test";
import { ensureOwner, logIn, logInAs, OWNER, ownerApi, type ApiCall } from "./helpers";

// Work → Workflows. A person defines a two-step workflow for a role in the browser (the server's
// refusals appear at the fields they name), starts it, and follows its steps live while an agent
// (an agent API key, the SDK's tRPC client, as work.spec.ts) takes each step's run pushed over its
// WebSocket: the second step's run receives the first one's output. A second start is stopped from
// the browser while its first step runs: that step ends cancelled, the rest skipped, all without a
// reload. Runs in the "chromium" project; run alone, it creates the owner itself.

test.describe.configure({ mode: "serial" });

const API_URL = process.env.TOWER_E2E_API_URL!;
const STAMP = Date.now().toString(36);
const PROJECT = `Workflows e2e ${STAMP}`;
const ROLE = "summariser";
const AGENT = `summariser-${STAMP}`;
const WORKFLOW = `weekly-digest-${STAMP}`;
const VIEWER = { name: "Vera Viewer", email: `viewer-${STAMP}@example.test`, password: "plum-orbit-canyon-4821" };

let api: { call: ApiCall; dispose(): Promise<void> };
let projectId = "";
let tower: TowerClient;
const assignments: RunAssignment[] = [];
let stopWorking = () => {};

/** The run of step `index` of the started workflow `workflowRunId`, once Tower pushed it to the agent. */
async function assignedStep(workflowRunId: string, index: number): Promise<Run> {
  const find = () =>
    assignments.find((a) => a.type === "run" && a.run.workflowRunId === workflowRunId && a.run.workflowStep === index);
  await expect.poll(() => find() !== undefined).toBe(true);
  const assignment = find();
  if (assignment?.type !== "run") throw new Error("not a run");
  return assignment.run;
}

/** Opens Work → Workflows in the spec's project, live. */
async function openWorkflows(page: Page) {
  await logIn(page);
  await page.goto(`/work/workflows?project=${encodeURIComponent(projectId)}`);
  await expect(page.getByRole("heading", { name: "Work", level: 1 })).toBeVisible();
  await expect(
    page.getByRole("navigation", { name: "Work views" }).getByRole("link", { name: "Workflows" }),
  ).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText("Loading workflows…")).toHaveCount(0);
}

/** Start on the workflow's row (with `input` typed, if any), then its page; returns the started workflow's id. */
async function start(page: Page, input?: string): Promise<string> {
  await page.getByRole("button", { name: `Start ${WORKFLOW}` }).click();
  const dialog = page.getByRole("dialog", { name: `Start ${WORKFLOW}` });
  if (input !== undefined) await dialog.getByLabel("Input (JSON)").fill(input);
  await dialog.getByRole("button", { name: "Start workflow" }).click();
  await page.waitForURL(/\/work\/workflows\/runs\/[^/?]+\?project=/);
  await expect(page.getByRole("heading", { name: `Workflow ${WORKFLOW}`, level: 1 })).toBeVisible();
  return decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
}

const step = (page: Page, name: string) => page.getByRole("list", { name: "Steps" }).locator(`li[data-step="${name}"]`);
const stepBadge = (item: Locator) => item.locator("[data-step-status]");
const workflowBadge = (page: Page) => page.locator(".page-head [data-status]");

test.beforeAll(async () => {
  await ensureOwner();
  api = await ownerApi();
  ({ projectId } = await api.call<{ projectId: string }>("project.create", { name: PROJECT }));
  await api.call("agent.create", { projectId, name: AGENT, role: ROLE });
  const key = await api.call<{ secret: string }>("apiKey.create", {
    projectId,
    name: `workflows-${STAMP}`,
    scopes: ["agent"],
    agentNames: [AGENT],
  });
  const { createTowerClient } = await import("@tower/sdk");
  tower = createTowerClient({ url: API_URL, apiKey: key.secret });
  // The agent waits for work: Tower pushes each run its role may take (claimed for it) and word of a cancel.
  const subscription = tower.api.run.assignments.subscribe(
    { agent: AGENT, concurrency: 1 },
    { onData: (assignment) => void assignments.push(assignment as RunAssignment) },
  );
  stopWorking = () => subscription.unsubscribe();
});

test.afterAll(async () => {
  stopWorking();
  tower?.close();
  await api?.dispose();
});

test("a two-step workflow is defined in the browser; steps move and go; the server's refusals name their fields", async ({
  page,
}) => {
  await openWorkflows(page);
  await expect(page.getByText("No workflows yet.")).toBeVisible();
  await expect(page.getByText("None started yet.")).toBeVisible();
  await page.getByRole("button", { name: "New workflow" }).click();
  const dialog = page.getByRole("dialog", { name: "New workflow" });
  await dialog.getByLabel("Name", { exact: true }).fill(WORKFLOW);
  await dialog.getByLabel("Description").fill("Fetch the week, then sum it up");

  const first = dialog.getByRole("group", { name: "Step 1" });
  await first.getByLabel("Step name").fill("fetch");
  await expect(first.getByLabel("Who runs it")).toHaveValue("role");
  await first.getByLabel("Role").fill(ROLE);
  await first.getByLabel("Input (JSON)").fill('{"source": "inbox"}');

  // A second step with the same name, and no role yet: the form asks for the role first.
  await dialog.getByRole("button", { name: "Add step" }).click();
  const second = dialog.getByRole("group", { name: "Step 2" });
  await expect(second.getByLabel("Step name")).toBeFocused();
  await second.getByLabel("Step name").fill("fetch");
  await dialog.getByRole("button", { name: "Create workflow" }).click();
  await expect(second.getByLabel("Role")).toHaveAttribute("aria-invalid", "true");
  await expect(second.getByText("Enter the role")).toBeVisible();
  await second.getByLabel("Role").fill(ROLE);

  // The server refuses two steps of one name, above the steps.
  await dialog.getByRole("button", { name: "Create workflow" }).click();
  await expect(dialog.locator("[data-steps-error]")).toContainText("Give each step a name of its own");
  await second.getByLabel("Step name").fill("summarise");
  // …and a duration of 0 s, at that step's field.
  await second.getByLabel("Maximum duration (seconds)").fill("0");
  await dialog.getByRole("button", { name: "Create workflow" }).click();
  await expect(second.getByLabel("Maximum duration (seconds)")).toHaveAttribute("aria-invalid", "true");
  await expect(second.getByLabel("Maximum duration (seconds)")).toBeFocused();
  await expect(second.getByText("Maximum duration must be at least 1 s")).toBeVisible();
  await expect(first.getByLabel("Maximum duration (seconds)")).toHaveAttribute("aria-invalid", "false");
  await second.getByLabel("Maximum duration (seconds)").fill("600");

  // A third step, moved up between the two, then removed.
  await dialog.getByRole("button", { name: "Add step" }).click();
  await dialog.getByRole("group", { name: "Step 3" }).getByLabel("Step name").fill("extra");
  await dialog.getByRole("button", { name: "Move Step 3 up" }).click();
  await expect(dialog.getByRole("group", { name: "Step 2" }).getByLabel("Step name")).toHaveValue("extra");
  await expect(dialog.getByRole("group", { name: "Step 3" }).getByLabel("Step name")).toHaveValue("summarise");
  await expect(dialog.getByRole("button", { name: "Move Step 2 up" })).toBeFocused();
  await dialog.getByRole("button", { name: "Remove Step 2" }).click();
  await expect(dialog.getByRole("group", { name: /^Step \d$/ })).toHaveCount(2);
  await expect(dialog.getByRole("group", { name: "Step 2" }).getByLabel("Step name")).toHaveValue("summarise");
  await expect(dialog.getByRole("button", { name: "Move Step 1 up" })).toBeDisabled();

  await dialog.getByRole("button", { name: "Create workflow" }).click();
  await expect(dialog).toBeHidden();
  const row = page.locator(`tr[data-workflow="${WORKFLOW}"]`);
  await expect(row).toContainText("Fetch the week, then sum it up");
  await expect(row.getByRole("listitem")).toHaveText([`fetch (any ${ROLE})`, `summarise (any ${ROLE})`]);

  // The same name again: the server refuses it, at the Name field.
  await page.getByRole("button", { name: "New workflow" }).click();
  const again = page.getByRole("dialog", { name: "New workflow" });
  await again.getByLabel("Name", { exact: true }).fill(WORKFLOW);
  await again.getByRole("group", { name: "Step 1" }).getByLabel("Step name").fill("only");
  await again.getByRole("group", { name: "Step 1" }).getByLabel("Role").fill(ROLE);
  await again.getByRole("button", { name: "Create workflow" }).click();
  await expect(again.getByLabel("Name", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(again.getByText(/already exists/)).toBeVisible();
  await again.getByRole("button", { name: "Cancel" }).click();
  await expect(again).toBeHidden();

  // Edited: the list follows.
  await row.getByRole("button", { name: `Edit ${WORKFLOW}` }).click();
  const edit = page.getByRole("dialog", { name: `Edit ${WORKFLOW}` });
  await expect(edit.getByRole("group", { name: "Step 2" }).getByLabel("Step name")).toHaveValue("summarise");
  await expect(edit.getByRole("group", { name: "Step 1" }).getByLabel("Input (JSON)")).toHaveValue(/"source": "inbox"/);
  await edit.getByLabel("Description").fill("Fetch the week, then summarise it");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit).toBeHidden();
  await expect(row).toContainText("Fetch the week, then summarise it");
});

test("started: each step's state moves live as the agent works, and step 2 receives step 1's output", async ({
  page,
}) => {
  await openWorkflows(page);
  const id = await start(page, '{"week": 7}');
  const fetchStep = step(page, "fetch");
  const summarise = step(page, "summarise");
  await expect(workflowBadge(page)).toHaveText("running");
  await expect(page.getByRole("button", { name: "Stop workflow" })).toBeVisible();

  // Step 1: the agent is given it (leased), works (running), and completes with its output.
  const run1 = await assignedStep(id, 0);
  expect(run1.input).toEqual({ week: 7, source: "inbox", steps: {} });
  await expect(fetchStep).toHaveAttribute("data-status", "leased");
  await expect(fetchStep).toContainText(AGENT);
  await expect(summarise).toHaveAttribute("data-status", "pending");
  await expect(fetchStep.getByRole("link", { name: "Open the run of step fetch" })).toHaveAttribute(
    "href",
    `/work/runs/${encodeURIComponent(run1.id)}?project=${encodeURIComponent(projectId)}`,
  );
  await tower.api.run.heartbeat.mutate({ id: run1.id, attempt: run1.attempt, progress: 50, message: "page 2 of 4" });
  await expect(stepBadge(fetchStep)).toHaveText("running");
  await expect(fetchStep.getByRole("progressbar", { name: "Progress of fetch" })).toHaveAttribute("value", "50");
  await expect(fetchStep).toContainText("page 2 of 4");
  await tower.api.run.complete.mutate({ id: run1.id, attempt: run1.attempt, output: { items: 3, top: "release" } });
  await expect(stepBadge(fetchStep)).toHaveText("succeeded");
  await expect(fetchStep.getByRole("progressbar")).toHaveCount(0);
  await expect(fetchStep.getByRole("region", { name: "Output of fetch" })).toContainText('"top": "release"');
  await expect(summarise).toHaveAttribute("data-status", /^(queued|leased)$/);
  await expect(page.locator(".workflow-run-facts")).toContainText("Step 2 of 2: summarise");

  // Step 2 receives the workflow's input and step 1's output, by the step's name.
  const run2 = await assignedStep(id, 1);
  expect(run2.input).toEqual({ week: 7, steps: { fetch: { items: 3, top: "release" } } });
  await expect(summarise).toHaveAttribute("data-status", "leased");
  await tower.api.run.heartbeat.mutate({ id: run2.id, attempt: run2.attempt, progress: 10 });
  await expect(stepBadge(summarise)).toHaveText("running");
  await tower.api.run.complete.mutate({ id: run2.id, attempt: run2.attempt, output: { summary: "3 items" } });
  await expect(stepBadge(summarise)).toHaveText("succeeded");
  await expect(workflowBadge(page)).toHaveText("succeeded");
  await expect(page.getByRole("button", { name: "Stop workflow" })).toHaveCount(0);

  // The list of started workflows shows it ended.
  await page.getByRole("link", { name: "← Workflows" }).click();
  const started = page.locator(`tr[data-workflow-run="${id}"]`);
  await expect(started).toHaveAttribute("data-status", "succeeded");
  await expect(started).toContainText(OWNER.name);
});

test("stopped from the browser while step 1 runs: it ends cancelled and the rest is skipped, live", async ({
  page,
}) => {
  await openWorkflows(page);
  const id = await start(page);
  const fetchStep = step(page, "fetch");
  const summarise = step(page, "summarise");
  const run1 = await assignedStep(id, 0);
  expect(run1.input).toEqual({ source: "inbox", steps: {} });
  await tower.api.run.heartbeat.mutate({ id: run1.id, attempt: run1.attempt, progress: 20 });
  await expect(stepBadge(fetchStep)).toHaveText("running");

  await page.getByRole("button", { name: "Stop workflow" }).click();
  await expect(workflowBadge(page)).toHaveText("stopped");
  await expect(stepBadge(summarise)).toHaveText("skipped");
  await expect(stepBadge(fetchStep)).toHaveText("running, cancelling");
  await expect(page.getByRole("status").filter({ hasText: "Stopping" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Stop workflow" })).toHaveCount(0);

  // The agent hears of it, stops and reports: the step ends cancelled.
  await expect.poll(() => assignments.some((a) => a.type === "cancel" && a.runId === run1.id)).toBe(true);
  await tower.api.run.fail.mutate({ id: run1.id, attempt: run1.attempt, error: "stopped on request" });
  await expect(stepBadge(fetchStep)).toHaveText("cancelled");
  await expect(page.getByRole("status").filter({ hasText: "Stopping" })).toHaveCount(0);
  await expect(stepBadge(summarise)).toHaveText("skipped");
  await expect(workflowBadge(page)).toHaveText("stopped");
  // Nothing was queued for step 2.
  expect(assignments.some((a) => a.type === "run" && a.run.workflowRunId === id && a.run.workflowStep === 1)).toBe(
    false,
  );
  const stored = await api.call<{ steps: { status: string }[] }>(
    `workflow.runById?input=${encodeURIComponent(JSON.stringify({ projectId, id }))}`,
  );
  expect(stored.steps.map((s) => s.status)).toEqual(["cancelled", "skipped"]);
});

test("a viewer follows workflows but is offered no action", async ({ page }) => {
  // A member who may only read, invited to the project; one workflow left running (no Stop for them).
  const invite = await api.call<{ token: string }>("invite.create", { projectId, role: "viewer" });
  const context = await request.newContext();
  const signUp = await context.post(`${API_URL}/trpc/auth.signUp`, { data: { ...VIEWER, inviteToken: invite.token } });
  expect(signUp.ok(), await signUp.text()).toBe(true);
  await context.dispose();
  const workflow = await api.call<{ items: { id: string; name: string }[] }>(
    `workflow.list?input=${encodeURIComponent(JSON.stringify({ projectId, limit: 10 }))}`,
  );
  const started = await api.call<{ id: string }>("workflow.start", { projectId, id: workflow.items[0]!.id });

  await logInAs(page, VIEWER);
  await page.goto(`/work/workflows?project=${encodeURIComponent(projectId)}`);
  await expect(page.locator(`tr[data-workflow="${WORKFLOW}"]`)).toBeVisible();
  await expect(page.locator(`tr[data-workflow-run="${started.id}"]`)).toHaveAttribute("data-status", "running");
  await expect(page.getByRole("button", { name: "New workflow" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: `Start ${WORKFLOW}` })).toHaveCount(0);
  await expect(page.getByRole("button", { name: `Edit ${WORKFLOW}` })).toHaveCount(0);
  await expect(page.getByRole("button", { name: `Delete ${WORKFLOW}` })).toHaveCount(0);
  await page.locator(`tr[data-workflow-run="${started.id}"]`).getByRole("link").click();
  await expect(page.getByRole("heading", { name: `Workflow ${WORKFLOW}`, level: 1 })).toBeVisible();
  await expect(step(page, "fetch")).toHaveAttribute("data-status", /^(queued|leased)$/);
  await expect(page.getByRole("button", { name: "Stop workflow" })).toHaveCount(0);
  // The owner stops it behind the viewer's back: the page follows.
  await api.call("workflow.stop", { projectId, id: started.id });
  await expect(workflowBadge(page)).toHaveText("stopped");
  await expect(step(page, "summarise")).toHaveAttribute("data-status", "skipped");
});

test("a workflow is deleted after a confirm; the started ones stay in the history", async ({ page }) => {
  await openWorkflows(page);
  await page.getByRole("button", { name: `Delete ${WORKFLOW}` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete ${WORKFLOW}?` });
  await confirm.getByRole("button", { name: "Delete workflow" }).click();
  await expect(confirm).toBeHidden();
  await expect(page.locator(`tr[data-workflow="${WORKFLOW}"]`)).toHaveCount(0);
  await expect(page.getByText("No workflows yet.")).toBeVisible();
  await expect(page.locator("tr[data-workflow-run]")).toHaveCount(3);
});
