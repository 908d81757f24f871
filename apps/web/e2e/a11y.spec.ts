// Over 300 lines on purpose: one scan of every page at both sizes and both colour schemes, with the
// fixtures those pages need (a project with approvals, one with work); split, the pages would drift apart.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Browser, type BrowserContextOptions, type Locator, type Page } from "@playwright/test";
import { logIn, ownerApi } from "./helpers";

// Accessibility (issue 16): axe-core on every page, with its dialogs and menus open, at desktop and
// phone size, in the light and the dark theme; the dialogs' keyboard behaviour; the theme switch.
// Runs after tower.spec.ts (the owner account and the demo project exist). Changes nothing another
// spec reads: the invites it makes are revoked, and dialogs are cancelled.

// Not serial: each test signs in on its own, so one page's violations do not hide the others'.
// A missing button fails in seconds, not at the end of a long test.
test.use({ actionTimeout: 10_000 });

const DEMO = "Demo fleet (owner)";
const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 },
} satisfies Record<string, BrowserContextOptions>;
const SCHEMES = ["light", "dark"] as const;
/** The body's background in each theme (globals.css --bg). */
const BACKGROUND = { light: "rgb(246, 247, 249)", dark: "rgb(15, 18, 23)" };
/** The theme-color metas' colours (app/layout.tsx), light first. */
const THEME_COLOR = { light: "#ffffff", dark: "#171b22" };

/** Runs axe on the page (or one part of it) and fails, softly, on any serious or critical violation. */
async function scan(page: Page, what: string, include?: string) {
  const builder = new AxeBuilder({ page });
  if (include) builder.include(include);
  const { violations } = await builder.analyze();
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const report = serious
    .map(
      (v) =>
        `  ${v.id} (${v.impact}): ${v.help}\n` +
        v.nodes
          .map((n) => `    ${n.target.join(" ")}\n      ${n.failureSummary?.replace(/\n/g, "\n      ")}`)
          .join("\n"),
    )
    .join("\n");
  expect.soft(serious.length, `${what}: serious or critical axe violations\n${report}`).toBe(0);
}

async function newContext(browser: Browser, size: keyof typeof SIZES, scheme: "light" | "dark") {
  const context = await browser.newContext({ ...SIZES[size], colorScheme: scheme });
  return { context, page: await context.newPage() };
}

async function openDemo(page: Page) {
  await logIn(page);
  await page.getByLabel("Project").selectOption({ label: DEMO });
  await expect(page.getByRole("banner").getByRole("status")).toHaveText("Live", { timeout: 20_000 });
}

/** Opens a page from the address bar and waits for its heading and for its loading states to end. */
async function visit(page: Page, url: string, heading: string | RegExp) {
  await page.goto(url);
  await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
  await expect(page.locator(".loading, [aria-busy=true]")).toHaveCount(0, { timeout: 15_000 });
}

/**
 * The Work pages' content: a project of their own (the demo's fleet would change its runs) with a scheduled task and
 * a queued run that no agent takes (its role has none). Made once per run, by the first test that
 * needs it; nothing another spec reads.
 */
let workProject: Promise<{ projectId: string; runId: string; workflowRunId: string; suiteRunId: string }> | undefined;
function workFixture() {
  workProject ??= (async () => {
    const api = await ownerApi();
    const { projectId } = await api.call<{ projectId: string }>("project.create", {
      name: `A11y work ${Date.now().toString(36)}`,
    });
    const task = await api.call<{ id: string }>("task.create", {
      projectId,
      name: "weekly-digest",
      description: "Summarise the week",
      cron: "0 9 * * 1",
      timezone: "Europe/Paris",
      target: { kind: "role", value: "nobody-has-this-role" },
      input: { week: 1 },
    });
    const run = await api.call<{ id: string }>("task.runNow", { projectId, id: task.id });
    const workflow = await api.call<{ id: string }>("workflow.create", {
      projectId,
      name: "publish-digest",
      description: "Write the digest, then send it",
      steps: [
        { name: "write", target: { kind: "role", value: "nobody-has-this-role" }, input: { week: 1 } },
        { name: "send", target: { kind: "agent", value: "nobody" }, onFailure: "continue" },
      ],
    });
    const workflowRun = await api.call<{ id: string }>("workflow.start", {
      projectId,
      id: workflow.id,
      input: { week: 1 },
    });
    // A suite run that ends failed (e2e/fixtures/tower-suites.yaml): results, a failure's message, output.
    const suiteRun = await api.call<{ id: string }>("suite.start", { projectId, name: "checkout-unit" });
    await api.dispose();
    return { projectId, runId: run.id, workflowRunId: workflowRun.id, suiteRunId: suiteRun.id };
  })();
  return workProject;
}

/** Clicks an opener, scans with the dialog open, and cancels it. */
async function scanDialog(page: Page, what: string, opener: Locator, name: string | RegExp) {
  await opener.click();
  const dialog = page.getByRole("dialog", { name });
  await expect(dialog).toBeVisible();
  await scan(page, what);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
}

/** An owner's page on Settings with a fresh invite link made; `revoke` takes the link back. */
async function makeInvite(browser: Browser) {
  const { context, page } = await newContext(browser, "desktop", "light");
  await logIn(page);
  await visit(page, "/settings", "Settings");
  await page.getByRole("button", { name: "Create invite link" }).click();
  const link = await page.getByLabel("Invite link").inputValue();
  expect(link).toMatch(/\/invite#[\w-]+$/);
  const invites = page.getByRole("region", { name: "Invites" });
  const revoke = async () => {
    const open = await invites.getByRole("listitem").count();
    await invites.getByRole("button", { name: "Revoke invite" }).first().click(); // newest first
    await expect(invites.getByRole("listitem")).toHaveCount(open - 1);
    await context.close();
  };
  return { path: new URL(link).pathname + new URL(link).hash, revoke };
}

for (const size of ["desktop", "phone"] as const) {
  for (const scheme of SCHEMES) {
    test(`signed-out pages have no serious violations (${size}, ${scheme})`, async ({ browser }) => {
      const invite = await makeInvite(browser);
      const { context, page } = await newContext(browser, size, scheme);
      const at = (name: string) => `${name} (${size}, ${scheme})`;
      await visit(page, "/login", "Log in");
      await scan(page, at("login"));
      await visit(page, "/signup", /./);
      await scan(page, at("signup"));
      await visit(page, "/reset-password", "Reset link not valid");
      await scan(page, at("reset-password without a code"));
      await visit(page, "/reset-password#not-a-real-code", "Set a new password");
      await scan(page, at("reset-password"));
      await visit(page, "/invite", "Invitation not valid");
      await scan(page, at("invite without a code"));
      await visit(page, invite.path, /^Join /);
      await scan(page, at("invite"));
      await visit(page, "/no-such-page", "Page not found");
      await scan(page, at("not-found"));
      await context.close();
      await invite.revoke();
    });

    test(`signed-in pages and their dialogs have no serious violations (${size}, ${scheme})`, async ({ browser }) => {
      test.setTimeout(180_000);
      // Made before signing in, so the account's project list has it when the Work pages open it.
      const work = await workFixture();
      const { context, page } = await newContext(browser, size, scheme);
      const at = (name: string) => `${name} (${size}, ${scheme})`;
      await openDemo(page);

      await visit(page, "/overview", "Overview");
      // The scans see the theme asked for.
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(BACKGROUND[scheme]);
      await scan(page, at("overview"));
      if (size === "phone") {
        await page.getByRole("button", { name: "Menu" }).click();
        await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
        await scan(page, at("overview with the menu open"));
        await scanDialog(
          page,
          at("overview: new project"),
          page.locator("#app-menu").getByRole("button", { name: "New project" }),
          "New project",
        );
      } else {
        await page.locator("details.user-menu summary").click();
        await scan(page, at("overview with the account menu open"));
        await page.locator("details.user-menu summary").click();
        await scanDialog(
          page,
          at("overview: new project"),
          page.getByRole("button", { name: "New project" }),
          "New project",
        );
      }

      await visit(page, "/agents", "Agents");
      await expect(page.locator("[data-agent]").first()).toBeVisible();
      await scan(page, at("agents"));
      await scanDialog(page, at("agents: new agent"), page.getByRole("button", { name: "New agent" }), "New agent");
      await scanDialog(
        page,
        at("agents: deactivate all"),
        page.getByRole("button", { name: "Deactivate all" }),
        "Deactivate all agents?",
      );
      const firstAgent = page.locator("[data-agent]").first();
      const agentName = (await firstAgent.getAttribute("data-agent"))!;
      await scanDialog(
        page,
        at("agents: delete agent"),
        page.getByRole("button", { name: `Delete ${agentName}` }).first(),
        `Delete ${agentName}?`,
      );
      // Open on a desk, folded on a phone.
      const teams = page.locator("details.team-panel");
      if (!(await teams.evaluate((el: HTMLDetailsElement) => el.open))) await teams.locator("> summary").click();
      await scan(page, at("agents with the teams panel open"));
      await scanDialog(page, at("agents: new team"), page.getByRole("button", { name: "New team" }), "New team");

      await page.getByRole("link", { name: agentName, exact: true }).first().click();
      await expect(page.getByRole("heading", { level: 1, name: agentName })).toBeVisible();
      await expect(page.locator(".loading, [aria-busy=true]")).toHaveCount(0, { timeout: 15_000 });
      const metadata = page.locator("summary", { hasText: "Metadata" });
      if ((await metadata.count()) > 0) await metadata.click(); // its scrollable JSON
      await scan(page, at("agent detail"));
      await scanDialog(page, at("agent detail: edit"), page.getByRole("button", { name: "Edit", exact: true }), /Edit/);

      await visit(page, "/agents/import", /Import/);
      await scan(page, at("agents/import"));
      await visit(page, "/metrics", "Metrics");
      await scan(page, at("metrics"));

      await visit(page, "/policy", /Policy/);
      await scan(page, at("policy"));
      await scanDialog(page, at("policy: add rule"), page.getByRole("button", { name: "Add rule" }), "Add a rule");

      await visit(page, "/audit", "Audit trail");
      await scan(page, at("audit"));
      const details = page.getByRole("button", { name: /details of audit row/ }).first();
      await scanDialog(page, at("audit: row drawer"), details, /^Audit row/);

      await visit(page, "/approvals", "Approvals");
      await scan(page, at("approvals"));
      await visit(page, "/settings", "Settings");
      await scan(page, at("settings"));
      // What the service worker shows offline for a page this device never opened.
      await visit(page, "/offline", "Not saved on this device");
      await scan(page, at("offline page"));

      // Last: these open another project (the URL's), which the pages above must not show.
      const inProject = `?project=${encodeURIComponent(work.projectId)}`;
      await visit(page, `/work${inProject}`, "Work");
      await expect(page.locator("tr[data-task]")).toHaveCount(1);
      await scan(page, at("work: tasks"));
      await scanDialog(page, at("work: new task"), page.getByRole("button", { name: "New task" }), "New task");
      await scanDialog(
        page,
        at("work: delete task"),
        page.getByRole("button", { name: "Delete weekly-digest" }),
        "Delete weekly-digest?",
      );
      await visit(page, `/work/runs${inProject}`, "Work");
      await expect(page.locator("tr[data-run]")).toHaveCount(2); // the task's run and the workflow's first step
      await scan(page, at("work: runs"));
      await visit(page, `/work/runs/${work.runId}${inProject}`, "Run of weekly-digest");
      await scan(page, at("work: run"));
      await visit(page, `/work/workflows${inProject}`, "Work");
      await expect(page.locator("tr[data-workflow]")).toHaveCount(1);
      await expect(page.locator("tr[data-workflow-run]")).toHaveCount(1);
      await scan(page, at("work: workflows"));
      await scanDialog(
        page,
        at("work: new workflow"),
        page.getByRole("button", { name: "New workflow" }),
        "New workflow",
      );
      await scanDialog(
        page,
        at("work: edit workflow"),
        page.getByRole("button", { name: "Edit publish-digest" }),
        "Edit publish-digest",
      );
      await scanDialog(
        page,
        at("work: start workflow"),
        page.getByRole("button", { name: "Start publish-digest" }),
        "Start publish-digest",
      );
      await scanDialog(
        page,
        at("work: delete workflow"),
        page.getByRole("button", { name: "Delete publish-digest" }),
        "Delete publish-digest?",
      );
      await visit(page, `/work/workflows/runs/${work.workflowRunId}${inProject}`, "Workflow publish-digest");
      await expect(page.locator('li[data-step="write"]')).toHaveAttribute("data-status", "queued");
      await scan(page, at("work: workflow run"));
      await visit(page, `/work/suites${inProject}`, "Work");
      await expect(page.locator("li[data-suite]")).toHaveCount(3);
      await expect(page.locator("tr[data-suite-run]")).toHaveCount(1);
      await scan(page, at("work: test suites"));
      await visit(page, `/work/suites/runs/${work.suiteRunId}${inProject}`, "Checkout unit tests");
      await expect(page.locator(".page-head [data-status]")).toHaveText("failed", { timeout: 30_000 });
      await expect(page.locator("[data-failure-message]")).toBeVisible();
      await scan(page, at("work: suite run"));
      await context.close();
    });
  }
}

/** Tabs through an open dialog both ways, checks focus never leaves it, closes it with Escape, and checks focus returns to the opener. */
async function checkDialogKeyboard(page: Page, opener: Locator, name: string | RegExp) {
  await opener.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name });
  await expect(dialog).toBeVisible();
  const inside = () => dialog.evaluate((el) => el.contains(document.activeElement));
  await expect.poll(inside, { message: `focus moves into "${String(name)}"` }).toBe(true);
  const stops = await dialog
    .locator("button:not([disabled]), input:not([disabled]), select, textarea, a[href]")
    .count();
  for (const key of ["Tab", "Shift+Tab"]) {
    for (let i = 0; i <= stops + 1; i++) {
      await page.keyboard.press(key);
      expect(await inside(), `focus stays in "${String(name)}" after ${i + 1} × ${key}`).toBe(true);
    }
  }
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(opener, `focus returns to the opener of "${String(name)}"`).toBeFocused();
}

test("dialogs: Escape closes them, Tab stays inside, focus returns to the opener", async ({ browser }) => {
  test.setTimeout(120_000);
  const { context, page } = await newContext(browser, "desktop", "light");
  await openDemo(page);
  await visit(page, "/agents", "Agents");
  await expect(page.locator("[data-agent]").first()).toBeVisible();
  await checkDialogKeyboard(page, page.getByRole("button", { name: "New agent" }), "New agent");
  await checkDialogKeyboard(page, page.getByRole("button", { name: "Deactivate all" }), "Deactivate all agents?");
  const agentName = (await page.locator("[data-agent]").first().getAttribute("data-agent"))!;
  await checkDialogKeyboard(
    page,
    page.getByRole("button", { name: `Delete ${agentName}` }).first(),
    `Delete ${agentName}?`,
  );
  await visit(page, "/policy", /Policy/);
  await checkDialogKeyboard(page, page.getByRole("button", { name: "Add rule" }), "Add a rule");
  await visit(page, "/audit", "Audit trail");
  await checkDialogKeyboard(page, page.getByRole("button", { name: /details of audit row/ }).first(), /^Audit row/);
  await checkDialogKeyboard(page, page.getByRole("button", { name: "New project" }), "New project");
  await context.close();
});

test("the theme switch: dark survives a reload, system follows the device", async ({ browser }) => {
  const { context, page } = await newContext(browser, "desktop", "light");
  await logIn(page);
  await visit(page, "/settings", "Settings");
  const theme = page.getByRole("group", { name: "Theme" });
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  // The colour the browser gives its bar: the first theme-color meta whose media query matches.
  const themeColor = () =>
    page.evaluate(() =>
      [...document.querySelectorAll<HTMLMetaElement>('meta[name="theme-color"]')]
        .find((meta) => !meta.media || matchMedia(meta.media).matches)
        ?.content.toLowerCase(),
    );
  await expect(theme.getByRole("radio", { name: "System" })).toBeChecked();

  await theme.getByRole("radio", { name: "Dark" }).check();
  await expect.poll(background).toBe(BACKGROUND.dark);
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(await background()).toBe(BACKGROUND.dark);
  // The browser's bar follows the choice too, whatever the device's setting.
  expect(await themeColor()).toBe(THEME_COLOR.dark);
  await expect(page.locator('meta[name="theme-color"]')).toHaveCount(3); // the layout's two and the choice's
  await expect(page.getByRole("radio", { name: "Dark" })).toBeChecked();
  // An explicit choice wins over the device's, and lasts across pages.
  await page.emulateMedia({ colorScheme: "light" });
  expect(await background()).toBe(BACKGROUND.dark);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Agents" })).toBeVisible();
  expect(await background()).toBe(BACKGROUND.dark);
  expect(await themeColor()).toBe(THEME_COLOR.dark);
  // The charts draw on a canvas in the chosen theme's colours (here the dark --accent).
  await visit(page, "/metrics", "Metrics");
  const markers = () =>
    page.locator(".u-marker").evaluateAll((els) => els.map((el) => el.getAttribute("style") ?? "").join(" "));
  await expect.poll(markers).toContain("rgb(109, 141, 255)");
  expect(await markers()).not.toContain("light-dark"); // resolved, as a canvas needs
  await visit(page, "/settings", "Settings");

  await page.getByRole("radio", { name: "Light" }).check();
  await page.emulateMedia({ colorScheme: "dark" });
  await expect.poll(background).toBe(BACKGROUND.light);
  expect(await themeColor()).toBe(THEME_COLOR.light);

  await page.getByRole("radio", { name: "System" }).check();
  await expect.poll(background).toBe(BACKGROUND.dark);
  expect(await themeColor()).toBe(THEME_COLOR.dark);
  await page.emulateMedia({ colorScheme: "light" });
  await expect.poll(background).toBe(BACKGROUND.light);
  expect(await themeColor()).toBe(THEME_COLOR.light);
  await page.reload();
  await expect(page.locator("html")).not.toHaveAttribute("data-theme", /./);
  await page.emulateMedia({ colorScheme: "dark" });
  await expect.poll(background).toBe(BACKGROUND.dark);
  await context.close();
});
