import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { TowerClient } from "@tower/sdk";
import { expect, request as playwrightRequest, test, type APIRequestContext, type Page } from "@playwright/test";
import { logIn, logInAs, OWNER } from "./helpers";

// Policy and approvals (issue 15). An admin writes a policy on the Policy page; an agent (an agent
// API key, the SDK's tRPC client) asks with `policy.check` and waits with `approval.wait` over the
// WebSocket; the request appears live on the Approvals page and in the navigation's count; a
// person approves, denies or lets it expire, and the agent's wait ends with that answer. Runs
// after the "chromium" project (the owner account exists), in a project of its own.

test.describe.configure({ mode: "serial" });

const API_URL = process.env.TOWER_E2E_API_URL!;
const SDK_DIR = path.resolve(import.meta.dirname, "../../../packages/sdk");
const STAMP = Date.now().toString(36);
const PROJECT = `Approvals e2e ${STAMP}`;
const AGENT = `deployer-${STAMP}`;

let owner: APIRequestContext;
let projectId = "";
let agentId = "";
let agentKey = "";
let tower: TowerClient;

interface Decision {
  decision: "allowed" | "denied" | "requires_approval";
  reason: string;
  ruleId: string | null;
  approvalId: string | null;
  expiresAt: number | null;
}
interface Approval {
  id: string;
  status: string;
  comment: string;
  grantId: string | null;
}

/** Calls a procedure the way tRPC's HTTP link does, with the owner's session cookie; returns `result.data`. */
async function call<T>(procedure: string, input?: unknown): Promise<T> {
  const response =
    input === undefined
      ? await owner.get(`${API_URL}/trpc/${procedure}`)
      : await owner.post(`${API_URL}/trpc/${procedure}`, { data: input });
  expect(response.ok(), `${procedure}: ${await response.text()}`).toBe(true);
  return ((await response.json()) as { result: { data: T } }).result.data;
}

/** The agent asks before acting, as the SDK's `authorize()` does. */
async function ask(tool: string, input: Record<string, string> = {}): Promise<Decision> {
  return (await tower.api.policy.check.mutate({ agent: AGENT, tool, path: "deploy/prod/app.yaml", input })) as Decision;
}

/** The agent waits for a person's answer over the WebSocket; resolves with the approval once decided. */
function waitFor(id: string): Promise<Approval> {
  return new Promise((resolve, reject) => {
    const subscription = tower.api.approval.wait.subscribe(
      { id },
      {
        onData: (approval) => {
          subscription.unsubscribe();
          resolve(approval as Approval);
        },
        onError: reject,
      },
    );
  });
}

async function openApprovals(page: Page, account?: { email: string; password: string }) {
  await (account ? logInAs(page, account) : logIn(page));
  await page.goto(`/approvals?project=${encodeURIComponent(projectId)}`);
  await expect(page.getByRole("heading", { name: "Approvals", level: 1 })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText("Loading pending approvals…")).toHaveCount(0);
}

/** Everything the agent's wait yields until its stream ends (one outcome, then the end). */
function waitForAll(id: string): Promise<Approval[]> {
  return new Promise((resolve, reject) => {
    const seen: Approval[] = [];
    tower.api.approval.wait.subscribe(
      { id },
      {
        onData: (approval) => seen.push(approval as Approval),
        onComplete: () => resolve(seen),
        onError: reject,
      },
    );
  });
}

const pendingCount = (page: Page) => page.locator("[data-pending-count]").first();
const card = (page: Page, id: string) => page.locator(`article[data-approval="${id}"]`);

test.beforeAll(async () => {
  test.setTimeout(240_000);
  // `turbo run test:e2e` builds the SDK first (@tower/web's devDependency); run alone, build it here.
  if (!existsSync(path.join(SDK_DIR, "dist/index.mjs")))
    execFileSync("pnpm", ["build"], { cwd: SDK_DIR, stdio: "inherit", timeout: 180_000 });
  const { createTowerClient } = await import("@tower/sdk");
  owner = await playwrightRequest.newContext();
  await call("auth.logIn", { email: OWNER.email, password: OWNER.password });
  ({ projectId } = await call<{ projectId: string }>("project.create", { name: PROJECT }));
  ({ id: agentId } = await call<{ id: string }>("agent.create", { projectId, name: AGENT, role: "deployer" }));
  // An agent key, bound to the one agent it runs as (Settings → API keys, the dashboard's default).
  const key = await call<{ secret: string }>("apiKey.create", {
    projectId,
    name: `approvals-${STAMP}`,
    scopes: ["agent"],
    agentNames: [AGENT],
  });
  agentKey = key.secret;
  tower = createTowerClient({ url: API_URL, apiKey: agentKey });
});

test.afterAll(async () => {
  tower?.close();
  await owner?.dispose();
});

test("an admin writes a policy on the Policy page, with field errors and reordering", async ({ page }) => {
  await logIn(page);
  await page.goto(`/policy?project=${encodeURIComponent(projectId)}`);
  await expect(page.getByRole("heading", { name: "Policy", level: 1 })).toBeVisible();
  await expect(page.locator("[data-policy-version]")).toHaveText("version 0");
  // The built-in checks are explained.
  await expect(page.locator('[data-check="tool_not_allowed"]')).toContainText("allowed tools");

  const addRule = async (fields: { id: string; reason: string; tools: string; operations?: string; ttl?: string }) => {
    await page.getByRole("button", { name: "Add rule" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a rule" });
    await dialog.getByLabel("Rule id").fill(fields.id);
    await dialog.getByLabel("Effect").selectOption("require_approval");
    await dialog.getByLabel("Reason").fill(fields.reason);
    if (fields.ttl) await dialog.getByLabel("Approval open for (seconds)").fill(fields.ttl);
    await dialog.getByLabel("Tools").fill(fields.tools);
    if (fields.operations) await dialog.getByLabel("Operations").fill(fields.operations);
    await dialog.getByRole("button", { name: "Add rule" }).click();
    await expect(dialog).toBeHidden();
  };

  // A rule id the form refuses before anything is sent.
  await page.getByRole("button", { name: "Add rule" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a rule" });
  await dialog.getByLabel("Rule id").fill("Not An Id");
  await dialog.getByRole("button", { name: "Add rule" }).click();
  await expect(dialog.getByText(/A rule id is lower-case letters/)).toBeVisible();
  await expect(dialog.getByText("Say why: the agent is told this reason")).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();

  await addRule({ id: "flaky-expires", reason: "Flaky tools get a short look", tools: "flaky", ttl: "10" });
  // An operation the server refuses: its message is shown by the rule.
  await addRule({
    id: "deploy-needs-a-person",
    reason: "Production deploys need a person",
    tools: "deploy",
    operations: "Tool Use",
  });
  await page.getByRole("button", { name: "Save policy" }).click();
  const bad = page.locator('li[data-rule="deploy-needs-a-person"]');
  await expect(bad.getByRole("alert")).toContainText("Operations: Use lower-case letters");
  await expect(page.locator("[data-policy-version]")).toHaveText("version 0");

  // Fixed, then moved to the top with the keyboard.
  await page.getByRole("button", { name: "Edit deploy-needs-a-person" }).click();
  const edit = page.getByRole("dialog", { name: "Edit rule deploy-needs-a-person" });
  await edit.getByLabel("Operations").fill("");
  await edit.getByRole("button", { name: "Update rule" }).click();
  await page.getByRole("button", { name: "Move deploy-needs-a-person up" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("list", { name: "Rules" }).locator("li").first()).toHaveAttribute(
    "data-rule",
    "deploy-needs-a-person",
  );
  await expect(page.getByText(/Unsaved changes:.*added rule deploy-needs-a-person \(#1\)/)).toBeVisible();
  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByText("Saved as version 1.")).toBeVisible();
  await expect(page.locator("[data-policy-version]")).toHaveText("version 1");
  await expect(bad.getByRole("alert")).toHaveCount(0);

  // The version history says what changed.
  await page.locator('[data-version="1"]').getByRole("button", { name: "Changes from previous" }).click();
  const changes = page.getByRole("list", { name: "Changes from version 0 to version 1" });
  await expect(changes).toContainText("added rule deploy-needs-a-person (#1)");
  await expect(changes).toContainText("added rule flaky-expires (#2)");
});

test("a request appears live, counts in the navigation, and approving it answers the waiting agent", async ({
  page,
}) => {
  await openApprovals(page);
  await expect(pendingCount(page)).toHaveAttribute("data-pending-count", "0");

  const decision = await ask("deploy", { service: "api", version: "1.4.2" });
  expect(decision.decision).toBe("requires_approval");
  expect(decision.ruleId).toBe("deploy-needs-a-person");
  const waiting = waitFor(decision.approvalId!);

  const request = card(page, decision.approvalId!);
  await expect(request).toBeVisible();
  await expect(request).toContainText(AGENT);
  await expect(request).toContainText("deploy/prod/app.yaml");
  await expect(request).toContainText("Production deploys need a person");
  await expect(request).toContainText('"service":"api"');
  await expect(request.locator("[data-countdown]")).toHaveText(/^1[45]:\d\d left$/);
  await expect(pendingCount(page)).toHaveAttribute("data-pending-count", "1");
  await expect(page.getByRole("link", { name: /^Approvals/ })).toContainText("1");

  await request.getByLabel("Comment (optional)").fill("Ship it");
  await request.getByLabel(/also allow/).check();
  await request.getByLabel("Grant minutes").fill("30");
  await request.getByRole("button", { name: "Approve" }).click();

  const answer = await waiting;
  expect(answer.status).toBe("approved");
  expect(answer.comment).toBe("Ship it");
  expect(answer.grantId).not.toBeNull();
  await expect(request).toHaveAttribute("data-status", "approved");
  // The decider as the server names people (their email, or their name).
  await expect(request).toContainText(new RegExp(`Approved by (${OWNER.email}|${OWNER.name}) just now: “Ship it”`));
  await expect(pendingCount(page)).toHaveAttribute("data-pending-count", "0");

  // The grant lets the agent use the tool without asking, until it is revoked.
  const grants = page.getByRole("list", { name: "Active grants" });
  await expect(grants).toContainText(`${AGENT} may use deploy`);
  expect((await ask("deploy", { service: "web" })).decision).toBe("allowed");
  await grants.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog", { name: "Revoke this grant?" }).getByRole("button", { name: "Revoke grant" }).click();
  await expect(page.getByText("No grants in force.")).toBeVisible();

  // The history has it, and the agent's page lists it.
  const history = page.getByRole("table", { name: "Approval history" });
  await expect(history.locator(`tr[data-approval="${decision.approvalId}"]`)).toHaveAttribute(
    "data-status",
    "approved",
  );
  await history.getByRole("button", { name: AGENT }).first().click();
  await expect(page).toHaveURL(/agentId=/);
  await page.getByLabel("Status").selectOption("denied");
  await expect(page).toHaveURL(/status=denied/);
  await expect(page.getByText("No approvals match these filters.")).toBeVisible();
  await page.goBack();
  await expect(history.locator(`tr[data-approval="${decision.approvalId}"]`)).toBeVisible();
});

test("denying answers the waiting agent with the comment, live in another person's tab", async ({ page, browser }) => {
  await openApprovals(page);
  // A second approver watches the same inbox.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await openApprovals(otherPage);

  const decision = await ask("deploy", { service: "db" });
  expect(decision.decision).toBe("requires_approval");
  const waiting = waitFor(decision.approvalId!);
  await expect(card(otherPage, decision.approvalId!)).toBeVisible();
  await expect(pendingCount(otherPage)).toHaveAttribute("data-pending-count", "1");

  const request = card(page, decision.approvalId!);
  await request.getByLabel("Comment (optional)").fill("Not on a Friday");
  await request.getByRole("button", { name: "Deny" }).click();
  const answer = await waiting;
  expect(answer.status).toBe("denied");
  expect(answer.comment).toBe("Not on a Friday");
  await expect(request).toHaveAttribute("data-status", "denied");

  // The other tab sees who decided, and the count drop, without a reload.
  const seen = card(otherPage, decision.approvalId!);
  await expect(seen).toHaveAttribute("data-status", "denied");
  await expect(seen).toContainText("Not on a Friday");
  await expect(pendingCount(otherPage)).toHaveAttribute("data-pending-count", "0");
  await other.close();
});

test("an agent's page lists its approvals, pending first, and decides them there", async ({ page }) => {
  await logIn(page);
  await page.goto(`/agents/${encodeURIComponent(agentId)}?project=${encodeURIComponent(projectId)}`);
  await expect(page.getByRole("heading", { name: AGENT, level: 1 })).toBeVisible();
  const section = page.getByRole("region", { name: "Approvals", exact: true });
  const history = section.getByRole("table", { name: "Approval history" });
  await expect(history.locator('tr[data-status="approved"]')).toHaveCount(1);
  await expect(history.locator('tr[data-status="denied"]')).toHaveCount(1);

  const decision = await ask("deploy", { service: "cache" });
  const waiting = waitFor(decision.approvalId!);
  const request = section.locator(`article[data-approval="${decision.approvalId}"]`);
  await expect(request).toBeVisible();
  await expect(request).toContainText('"service":"cache"');
  await request.getByRole("button", { name: "Approve" }).click();
  expect((await waiting).status).toBe("approved");
  await expect(history.locator('tr[data-status="approved"]')).toHaveCount(2);
});

test("a request nobody decides expires: the row says expired and so does the agent's wait", async ({ page }) => {
  await openApprovals(page);
  const decision = await ask("flaky");
  expect(decision.decision).toBe("requires_approval");
  expect(decision.ruleId).toBe("flaky-expires");
  const waiting = waitFor(decision.approvalId!);

  const request = card(page, decision.approvalId!);
  await expect(request).toBeVisible();
  await expect(request.locator("[data-countdown]")).toHaveText(/^0:\d\d left$/);
  await expect(pendingCount(page)).toHaveAttribute("data-pending-count", "1");

  const answer = await waiting;
  expect(answer.status).toBe("expired");
  await expect(request).toHaveAttribute("data-status", "expired", { timeout: 15_000 });
  await expect(request.locator(".badge")).toHaveText("expired");
  await expect(request.getByRole("button", { name: "Approve" })).toHaveCount(0);
  await expect(pendingCount(page)).toHaveAttribute("data-pending-count", "0");
  await expect(
    page.getByRole("table", { name: "Approval history" }).locator(`tr[data-approval="${decision.approvalId}"]`),
  ).toHaveAttribute("data-status", "expired");
});

test("trying a request on the Policy page explains which rule decides and why", async ({ page }) => {
  await logIn(page);
  await page.goto(`/policy?project=${encodeURIComponent(projectId)}`);
  const tryBox = page.getByRole("region", { name: "Try a request" });
  await tryBox.getByLabel("Agent").fill(AGENT);
  await tryBox.getByLabel("Tool").fill("deploy");
  await tryBox.getByLabel("Path").fill("deploy/prod/app.yaml");
  await tryBox.getByLabel("Input (JSON)").fill('{"service": "api"}');
  await tryBox.getByRole("button", { name: "Try" }).click();
  const result = page.getByRole("status", { name: "Try result" });
  await expect(result).toContainText("requires approval");
  await expect(result).toContainText("Decided by rule #1 deploy-needs-a-person");
  await expect(result).toContainText("Production deploys need a person");

  await tryBox.getByLabel("Tool").fill("read_file");
  await tryBox.getByRole("button", { name: "Try" }).click();
  await expect(result).toContainText("Decided by the project default");
  await expect(result).toContainText("allowed");

  await tryBox.getByLabel("Agent").fill("nobody-here");
  await tryBox.getByRole("button", { name: "Try" }).click();
  await expect(result).toContainText("built-in check agent_unknown");

  await tryBox.getByLabel("Input (JSON)").fill("{not json");
  await tryBox.getByRole("button", { name: "Try" }).click();
  await expect(tryBox.getByText(/Not valid JSON/)).toBeVisible();
});

test("the policy goes out and comes back as YAML; a bad file is refused with the reason", async ({ page }) => {
  await logIn(page);
  await page.goto(`/policy?project=${encodeURIComponent(projectId)}`);
  await expect(page.locator("[data-policy-version]")).toHaveText("version 1");
  const yaml = page.getByRole("region", { name: "YAML" });

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    yaml.getByRole("button", { name: "Download YAML" }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("tower-policy-v1.yaml");
  const exported = await streamText(await download.createReadStream());
  expect(exported).toContain("deploy-needs-a-person");
  expect(exported).toContain("Flaky tools get a short look");

  const box = yaml.getByLabel("Policy YAML");
  await box.fill("rules: [");
  await yaml.getByRole("button", { name: "Import as a new version" }).click();
  await expect(yaml.getByRole("alert")).toContainText("The YAML could not be read");
  await box.fill("defaultEffect: maybe");
  await yaml.getByRole("button", { name: "Import as a new version" }).click();
  await expect(yaml.getByRole("alert")).toContainText("The policy is not valid");
  await expect(page.locator("[data-policy-version]")).toHaveText("version 1");

  await box.fill(exported.replace("Flaky tools get a short look", "Flaky tools get ten seconds"));
  await yaml.getByRole("button", { name: "Import as a new version" }).click();
  await expect(yaml.getByRole("status").filter({ hasText: "Imported as version 2." })).toBeVisible();
  await expect(page.locator("[data-policy-version]")).toHaveText("version 2");
  await expect(page.locator('[data-version="2"]')).toContainText("changed rule flaky-expires: reason");
  await expect(page.locator('li[data-rule="flaky-expires"]')).toContainText("Flaky tools get ten seconds");
});

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

test("two approvers decide at once: one decision wins, the other is told it was already decided", async ({
  browser,
}) => {
  // A second approver: an invited operator (the policy lets operators or higher decide).
  const invite = await call<{ token: string }>("invite.create", { projectId, role: "operator" });
  const second = { name: "Ada Approver", email: `approver-${STAMP}@example.test`, password: "amber-canyon-whistle-47" };
  const secondApi = await playwrightRequest.newContext();
  const signedUp = await secondApi.post(`${API_URL}/trpc/auth.signUp`, {
    data: { ...second, inviteToken: invite.token },
  });
  expect(signedUp.ok(), await signedUp.text()).toBe(true);
  await secondApi.dispose();

  // Each in a browser of their own, on the Approvals page.
  const contexts = await Promise.all([browser.newContext(), browser.newContext()]);
  const [ownerPage, secondPage] = await Promise.all(contexts.map((context) => context.newPage()));
  await Promise.all([openApprovals(ownerPage!), openApprovals(secondPage!, second)]);
  await expect(pendingCount(ownerPage!)).toHaveAttribute("data-pending-count", "0");

  const decision = await ask("deploy", { service: "search" });
  expect(decision.decision).toBe("requires_approval");
  const id = decision.approvalId!;
  const outcome = waitForAll(id);

  // The owner approves and the operator denies, each with a comment.
  const sides = [
    { page: ownerPage!, button: "Approve", busy: "Approving…", status: "approved", comment: "Ship the search fix" },
    { page: secondPage!, button: "Deny", busy: "Denying…", status: "denied", comment: "Hold: search is frozen" },
  ] as const;
  for (const side of sides) {
    await expect(card(side.page, id)).toHaveAttribute("data-status", "pending");
    await expect(pendingCount(side.page)).toHaveAttribute("data-pending-count", "1");
    await card(side.page, id).getByLabel("Comment (optional)").fill(side.comment);
  }

  // Both click at once. Each page's decision is held on its way out until both are sent, so
  // neither page can hear of the other's decision before clicking; then both go to the server together.
  let sent = 0;
  let release!: () => void;
  const go = new Promise<void>((resolve) => (release = resolve));
  const isDecide = (url: URL) => url.pathname.startsWith("/trpc/") && url.pathname.includes("approval.decide");
  for (const side of sides) {
    await side.page.route(isDecide, async (route) => {
      sent += 1;
      await go;
      await route.continue();
    });
  }
  await Promise.all(sides.map((side) => card(side.page, id).getByRole("button", { name: side.button }).click()));
  await expect.poll(() => sent).toBe(2);
  for (const side of sides) await expect(card(side.page, id).getByRole("button", { name: side.busy })).toBeDisabled();
  release();

  // The agent's wait ends with exactly one outcome: whichever decision the server took first.
  const answers = await outcome;
  expect(answers).toHaveLength(1);
  const answer = answers[0]!;
  expect(["approved", "denied"]).toContain(answer.status);
  const winner = sides.find((side) => side.status === answer.status)!;
  const loser = sides.find((side) => side !== winner)!;
  test.info().annotations.push({ type: "winner", description: `${winner.button} (${winner.status})` });
  expect(answer.comment).toBe(winner.comment);
  expect(answer.grantId).toBeNull();

  // One decision recorded: the approval as stored, and one decision in the audit trail.
  const stored = await call<Approval & { deciderName: string | null }>(
    `approval.byId?input=${encodeURIComponent(JSON.stringify({ projectId, id }))}`,
  );
  expect(stored.status).toBe(winner.status);
  expect(stored.comment).toBe(winner.comment);
  const decider = stored.deciderName!;
  expect(decider).toMatch(
    winner.page === ownerPage
      ? new RegExp(`^(${OWNER.email}|${OWNER.name})$`)
      : new RegExp(`^(${second.email}|${second.name})$`),
  );
  const audit = await call<{ items: { operation: string; detail: Record<string, unknown> }[] }>(
    `audit.list?input=${encodeURIComponent(JSON.stringify({ projectId, agentId, actorType: "user", limit: 200 }))}`,
  );
  const decisions = audit.items.filter((row) => row.detail.approvalId === id && /^approval\./.test(row.operation));
  expect(decisions.map((row) => row.operation)).toEqual([`approval.${winner.status}`]);

  // Both pages show the winning decision, who made it and their comment, without a reload.
  const verb = winner.status === "approved" ? "Approved" : "Denied";
  const settledLine = `${verb} by ${decider} just now: “${winner.comment}”`;
  for (const side of sides) {
    await expect(card(side.page, id)).toHaveAttribute("data-status", winner.status);
    await expect(card(side.page, id)).toContainText(settledLine);
    await expect(card(side.page, id)).not.toContainText(loser.comment);
    await expect(card(side.page, id).getByRole("button", { name: /Approve|Deny/ })).toHaveCount(0);
    await expect(pendingCount(side.page)).toHaveAttribute("data-pending-count", "0");
    await expect(
      side.page.getByRole("table", { name: "Approval history" }).locator(`tr[data-approval="${id}"]`),
    ).toHaveAttribute("data-status", winner.status);
  }

  // The loser is told it was already decided, by whom and how; the winner is told nothing of the kind.
  const told = loser.page.getByRole("alert").filter({ hasText: "already" });
  await expect(told).toHaveCount(1);
  await expect(told).toContainText(`Not decided: This approval was already ${winner.status} by ${decider}`);
  await expect(winner.page.getByRole("alert").filter({ hasText: "already" })).toHaveCount(0);
  await told.getByRole("button", { name: "Dismiss" }).click();
  await expect(told).toHaveCount(0);

  await Promise.all(contexts.map((context) => context.close()));
});

test("a member below the policy's approver role follows approvals but cannot decide them", async ({ browser }) => {
  // The policy now lets admins only decide; an operator joins the project.
  const policy = await call<{ version: number; document: Record<string, unknown> }>(
    `policy.get?input=${encodeURIComponent(JSON.stringify({ projectId }))}`,
  );
  await call("policy.save", {
    projectId,
    document: { ...policy.document, approverRole: "admin" },
    expectedVersion: policy.version,
  });
  const invite = await call<{ token: string }>("invite.create", { projectId, role: "operator" });
  const operator = {
    name: "Otto Operator",
    email: `operator-${STAMP}@example.test`,
    password: "violet-harbor-lantern-92",
  };
  const operatorApi = await playwrightRequest.newContext();
  const signedUp = await operatorApi.post(`${API_URL}/trpc/auth.signUp`, {
    data: { ...operator, inviteToken: invite.token },
  });
  expect(signedUp.ok(), await signedUp.text()).toBe(true);

  const decision = await ask("deploy", { service: "billing" });
  expect(decision.decision).toBe("requires_approval");

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(operator.email);
  await page.getByLabel("Password").fill(operator.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/overview/);
  await page.goto(`/approvals?project=${encodeURIComponent(projectId)}`);
  await expect(page.getByRole("note")).toContainText(
    "You can follow approvals here but not decide them: this project's policy lets members with the admin role or higher decide, and you are operator.",
  );
  const request = card(page, decision.approvalId!);
  await expect(request).toBeVisible();
  await expect(request.getByRole("button", { name: "Approve" })).toHaveCount(0);
  await expect(request.getByRole("button", { name: "Deny" })).toHaveCount(0);

  // The server refuses them too, with the reason, and the approval stays pending.
  const refused = await operatorApi.post(`${API_URL}/trpc/approval.decide`, {
    data: { projectId, id: decision.approvalId, decision: "approve" },
  });
  expect(refused.status()).toBe(403);
  expect(await refused.text()).toContain("Deciding approvals needs the admin role or higher; you are operator");
  const after = await call<Approval>(
    `approval.byId?input=${encodeURIComponent(JSON.stringify({ projectId, id: decision.approvalId }))}`,
  );
  expect(after.status).toBe("pending");
  await context.close();
  await operatorApi.dispose();
});
