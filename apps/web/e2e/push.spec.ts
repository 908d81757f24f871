import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { TowerClient } from "@tower/sdk";
import type { PushPayload } from "@tower/shared";
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { logIn, ownerApi, type ApiCall } from "./helpers";

// From a phone, an approval's notification to the waiting agent going on (issue 16). An agent asks
// for something a rule sends to a person and waits; on a phone-sized, touch screen with the
// dashboard installed (its service worker), a push is delivered to the service worker through the
// DevTools protocol, as the browser's push service would: it shows the notification; a tap opens
// the one-tap approve page, which re-checks the request and counts down; Approve, and the agent's
// wait ends approved and its next check is allowed. (Tower's side of the push, VAPID and the
// encrypted payload, is tested against a loopback push service in packages/api/src/push.)

test.describe.configure({ mode: "serial" });

const API_URL = process.env.TOWER_E2E_API_URL!;
const SDK_DIR = path.resolve(import.meta.dirname, "../../../packages/sdk");
const STAMP = Date.now().toString(36);
const AGENT = `shipper-${STAMP}`;

let owner: Awaited<ReturnType<typeof ownerApi>>;
let call: ApiCall;
let projectId = "";
let tower: TowerClient;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  if (!existsSync(path.join(SDK_DIR, "dist/index.mjs")))
    execFileSync("pnpm", ["build"], { cwd: SDK_DIR, stdio: "inherit", timeout: 180_000 });
  const { createTowerClient } = await import("@tower/sdk");
  owner = await ownerApi();
  call = owner.call;
  ({ projectId } = await call<{ projectId: string }>("project.create", { name: `Push e2e ${STAMP}` }));
  await call("agent.create", { projectId, name: AGENT, role: "deployer" });
  await call("policy.save", {
    projectId,
    expectedVersion: 0,
    document: {
      rules: [
        {
          id: "releases-need-a-person",
          match: { tools: ["release"] },
          effect: "require_approval",
          reason: "Releases need a person",
          ttlSeconds: 600,
        },
      ],
    },
  });
  const key = await call<{ secret: string }>("apiKey.create", {
    projectId,
    name: `push-${STAMP}`,
    scopes: ["agent"],
    agentNames: [AGENT],
  });
  tower = createTowerClient({ url: API_URL, apiKey: key.secret });
});

test.afterAll(async () => {
  tower?.close();
  await owner?.dispose();
});

test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 });

test("on a phone: the notification, one tap to the approve page, Approve, and the waiting agent goes on", async ({
  page,
  context,
  baseURL,
}) => {
  const agent = tower.agent(AGENT);
  const asked = await agent.authorize({ tool: "release", path: "apps/billing", input: { version: "2.4.0" } });
  expect(asked.decision).toBe("requires_approval");
  const approvalId = asked.approvalId!;
  // The agent waits for the person, as `authorize({ wait: true })` does.
  const waited = agent.waitForApproval(approvalId, { timeoutMs: 120_000 });

  await context.grantPermissions(["notifications"]);
  await logIn(page);
  await page.goto(`/overview?project=${encodeURIComponent(projectId)}`);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });

  // What Tower sends for this approval (packages/api/src/push/push-messages.ts), delivered to the
  // service worker as the push service would.
  const payload: PushPayload = {
    kind: "approval",
    title: `${AGENT} asks to use release`,
    body: "apps/billing: Releases need a person",
    url: `/approve/${approvalId}?project=${projectId}`,
    tag: "t".repeat(32),
    approvalId,
    projectId,
    expiresAt: asked.expiresAt!,
  };
  const cdp = await context.newCDPSession(page);
  const registrationId = new Promise<string>((resolve) =>
    cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
      const ours = registrations.find((r) => r.scopeURL.startsWith(baseURL!) && !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    }),
  );
  await cdp.send("ServiceWorker.enable");
  await cdp.send("ServiceWorker.deliverPushMessage", {
    origin: new URL(baseURL!).origin,
    registrationId: await registrationId,
    data: JSON.stringify(payload),
  });

  // It shows a notification (never a silent push), one per approval.
  const shown = async () =>
    page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return (await registration.getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        tag: n.tag,
        url: (n.data as { url: string }).url,
      }));
    });
  await expect.poll(shown).toHaveLength(1);
  const [notification] = await shown();
  expect(notification).toEqual({
    title: payload.title,
    body: payload.body,
    tag: payload.tag,
    url: new URL(payload.url, baseURL).href,
  });

  // A tap: the service worker's notificationclick, as the browser dispatches it.
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker"));
  await Promise.all([
    page.waitForURL(/\/approve\//),
    worker.evaluate(async () => {
      // Runs in the worker (this file's DOM types do not know its globals).
      const sw = self as unknown as { registration: ServiceWorkerRegistration; dispatchEvent(event: Event): boolean };
      const { NotificationEvent } = globalThis as unknown as {
        NotificationEvent: new (type: string, init: { notification: Notification }) => Event;
      };
      const [shownNotification] = await sw.registration.getNotifications();
      sw.dispatchEvent(new NotificationEvent("notificationclick", { notification: shownNotification! }));
    }),
  ]);

  // The one-tap page: the request as Tower has it now, with the time left, and the two buttons.
  await expect(page.getByRole("heading", { name: "Approval request", level: 1 })).toBeVisible();
  const card = page.locator(`[data-approval="${approvalId}"]`);
  await expect(card).toContainText(AGENT);
  await expect(card).toContainText("release");
  await expect(card.locator("[data-countdown]")).toHaveText(/^\d+:\d{2} left$/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // Accessible as every page is (e2e/a11y.spec.ts): nothing serious or critical for axe.
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
  await card.getByRole("button", { name: "Approve" }).tap();

  // The agent was waiting: it hears "approved", and its next ask of the same request is allowed.
  const answer = await waited;
  expect(answer.decision).toBe("allowed");
  const again = await agent.authorize({ tool: "release", path: "apps/billing", input: { version: "2.4.0" } });
  expect(again.decision).toBe("allowed");
  await expect(page.getByText(/^Approved by .+ just now/)).toBeVisible(); // live: the page follows the decision
});
