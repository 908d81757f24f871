import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test, type Browser, type Page, type WebSocketRoute } from "@playwright/test";
import { agentRow, logIn, openAgents, searchAgents } from "./helpers";

// The rough edges a new user meets (issue 12). Runs after tower.spec.ts (the owner account and the
// demo project exist); each test makes what it changes under a name of its own.

const run = promisify(execFile);
const DEMO = "Demo fleet";
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}`;

async function signedIn(browser: Browser, options: Parameters<Browser["newContext"]>[0] = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await logIn(page);
  return { context, page };
}

/** Creates an agent through the New agent dialog of an open fleet page. */
async function createAgent(page: Page, name: string, role = "tester") {
  await page.getByRole("button", { name: "New agent" }).click();
  const dialog = page.getByRole("dialog", { name: "New agent" });
  await dialog.getByLabel("Name", { exact: true }).fill(name);
  await dialog.getByLabel("Role", { exact: true }).fill(role);
  await dialog.getByRole("button", { name: "Create agent" }).click();
  await expect(dialog).toBeHidden();
}

const liveBadge = (page: Page) => page.getByRole("banner").getByRole("status");

test("the live badge follows the network, and live changes arrive once it is back", async ({ browser }) => {
  const { context, page } = await signedIn(browser);
  const name = unique("after-offline");
  await openAgents(page);
  await searchAgents(page, name);
  await expect(liveBadge(page)).toHaveText("Live");

  await context.setOffline(true);
  await expect(liveBadge(page)).toHaveText("Offline");
  // Chromium's emulated outage leaves the open socket alone, as a short real one can: when the
  // network returns, the badge is the socket's state again, not stuck on Offline.
  await context.setOffline(false);
  await expect(liveBadge(page)).toHaveText("Live");

  // A change made elsewhere after the network returned reaches this page without a reload.
  const other = await signedIn(browser);
  await openAgents(other.page);
  await createAgent(other.page, name);
  await expect(agentRow(page, name)).toBeVisible();
  await expect(liveBadge(page)).toHaveText("Live");
  await other.context.close();
  await context.close();
});

test("a socket dropped by an outage is back as soon as the network is", async ({ browser }) => {
  test.setTimeout(90_000);
  const context = await browser.newContext();
  const page = await context.newPage();
  // Every socket of the page goes through here: connected to the server while the network is up,
  // and failing its handshake (error, then close, as a browser reports it) while it is down.
  let networkDown = false;
  const sockets: WebSocketRoute[] = [];
  await page.routeWebSocket(/\/trpc$/, (ws) => {
    const server = ws.connectToServer();
    if (networkDown) void server.close();
    else sockets.push(ws);
  });
  await logIn(page);
  const name = unique("after-outage");
  await openAgents(page);
  await searchAgents(page, name);
  await expect(liveBadge(page)).toHaveText("Live");

  networkDown = true;
  await context.setOffline(true);
  await sockets.at(-1)?.close({ code: 4000, reason: "network lost" });
  await expect(liveBadge(page)).toHaveText("Offline");
  // Long enough for an exponential backoff to be waiting several seconds for its next attempt.
  await page.waitForTimeout(10_000);

  networkDown = false;
  await context.setOffline(false);
  const back = Date.now();
  await expect(liveBadge(page)).toHaveText("Live", { timeout: 20_000 });
  expect(Date.now() - back, "reconnected within 2.5 s of the network returning").toBeLessThan(2_500);

  // And the subscription resumed: a change made now arrives live.
  const other = await signedIn(browser);
  await openAgents(other.page);
  await createAgent(other.page, name);
  await expect(agentRow(page, name)).toBeVisible();
  await other.context.close();
  await context.close();
});

test("an agent deleted in another window shows as deleted on its open page", async ({ browser }) => {
  const a = await signedIn(browser);
  const b = await signedIn(browser);
  const name = unique("doomed");
  await openAgents(a.page);
  await createAgent(a.page, name);
  await searchAgents(a.page, name);
  await agentRow(a.page, name).getByRole("link", { name }).click();
  await expect(a.page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(liveBadge(a.page)).toHaveText("Live");
  await a.page.getByRole("button", { name: "Edit", exact: true }).click();
  const form = a.page.getByRole("dialog", { name: `Edit ${name}` });
  await expect(form).toBeVisible();

  await openAgents(b.page);
  await searchAgents(b.page, name);
  await b.page.getByRole("button", { name: `Delete ${name}` }).click();
  await b.page.getByRole("dialog").getByRole("button", { name: "Delete agent" }).click();
  await expect(agentRow(b.page, name)).toHaveCount(0);

  // The open form can no longer be saved, and says why.
  await expect(form.getByRole("alert")).toContainText("deleted");
  await expect(form.getByRole("button", { name: "Save changes" })).toBeDisabled();
  await form.getByRole("button", { name: "Cancel" }).click();
  await expect(form).toBeHidden();

  // The page says so, offers no more edits, and leads back to the list.
  const notice = a.page.getByTestId("agent-deleted");
  await expect(notice).toContainText("This agent was deleted");
  await expect(a.page.getByRole("button", { name: "Edit", exact: true })).toHaveCount(0);
  await expect(a.page.getByRole("button", { name: /^(Enable|Disable)$/ })).toHaveCount(0);
  await expect(a.page.getByRole("list", { name: "Activity" })).toContainText("deleted");
  await notice.getByRole("link", { name: "Back to agents" }).click();
  await a.page.waitForURL(/\/agents\?/);
  await openAgents(a.page);
  await a.context.close();
  await b.context.close();
});

test("the agent form shows one clear message per field, checked before sending", async ({ page }) => {
  await logIn(page);
  await openAgents(page);
  await page.getByRole("button", { name: "New agent" }).click();
  const dialog = page.getByRole("dialog", { name: "New agent" });
  const field = (label: string) => dialog.getByLabel(label, { exact: true });

  // The budgets' hints and their checks agree: empty means no limit, 0 is not a budget.
  await expect(field("Budget tokens per session")).toHaveAccessibleDescription(/empty for no limit/);
  await expect(field("Budget USD per day")).toHaveAccessibleDescription(/empty for no limit/);
  await field("Budget tokens per session").fill("0");
  await field("Budget USD per day").fill("0");
  const calls: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("/trpc/agent.create")) calls.push(request.url());
  });
  await dialog.getByRole("button", { name: "Create agent" }).click();

  await expect(field("Name")).toHaveAttribute("aria-invalid", "true");
  await expect(field("Name")).toHaveAccessibleDescription("Name is required"); // one message, not two
  await expect(field("Role")).toHaveAccessibleDescription("Role is required");
  await expect(field("Budget tokens per session")).toHaveAccessibleDescription(
    /Enter a whole number above 0, or leave empty for no limit/,
  );
  await expect(field("Budget USD per day")).toHaveAccessibleDescription(/above 0, or leave empty for no limit/);
  await expect(dialog.locator(".field-error")).toHaveCount(4);
  await expect(field("Name")).toBeFocused();
  expect(calls, "nothing was sent").toHaveLength(0);
  await expect(dialog).not.toContainText(/Too small|Too big|expected \w+ to/);

  // Empty budgets are accepted as "no limit"; a value is checked as typed.
  await field("Budget tokens per session").fill("");
  await field("Budget USD per day").fill("1.5x");
  await dialog.getByRole("button", { name: "Create agent" }).click();
  await expect(field("Budget tokens per session")).toHaveAttribute("aria-invalid", "false");
  await expect(field("Budget USD per day")).toHaveAttribute("aria-invalid", "true");
  await dialog.getByRole("button", { name: "Cancel" }).click();

  // The server's message for a field of an edit ({ id, patch }) is shown at that field, in words.
  await searchAgents(page, "scout");
  await page.getByRole("button", { name: "Edit scout" }).click();
  const edit = page.getByRole("dialog", { name: "Edit scout" });
  await edit.getByLabel("Tags", { exact: true }).fill(`ok, ${"x".repeat(201)}`);
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit.getByLabel("Tags", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(edit.getByLabel("Tags", { exact: true })).toHaveAccessibleDescription(/at most 200 characters/i);
  await expect(edit).not.toContainText(/Too small|Too big|expected \w+ to|Invalid input/);
  await edit.getByRole("button", { name: "Cancel" }).click();
  await expect(agentRow(page, "scout")).not.toContainText("xxxxxxxx");

  // Two bad path scopes: each is named, not only the first.
  await page.getByRole("button", { name: "Edit scout" }).click();
  const scopes = page.getByRole("dialog", { name: "Edit scout" });
  await scopes.getByLabel("Path scopes", { exact: true }).fill("/etc/**\nsrc/**\n../up/*");
  await scopes.getByRole("button", { name: "Save changes" }).click();
  await expect(scopes.getByLabel("Path scopes", { exact: true })).toHaveAccessibleDescription(
    /"\/etc\/\*\*" is absolute.*"\.\.\/up\/\*" has a "\.\." segment/,
  );
  await scopes.getByRole("button", { name: "Cancel" }).click();

  // A glob's braces keep their commas: one path scope, not two halves refused as broken globs,
  // and the agent can be edited again as it is.
  for (let round = 0; round < 2; round++) {
    await page.getByRole("button", { name: "Edit scout" }).click();
    const again = page.getByRole("dialog", { name: "Edit scout" });
    if (round === 0) await again.getByLabel("Path scopes", { exact: true }).fill("data/*.{csv,json}, src/**");
    else await expect(again.getByLabel("Path scopes", { exact: true })).toHaveValue("data/*.{csv,json}\nsrc/**");
    await again.getByRole("button", { name: "Save changes" }).click();
    await expect(again).toBeHidden();
  }
});

test("the other forms show messages for a person", async ({ page }) => {
  await logIn(page);
  await openAgents(page);
  // Team: a count of 0 is explained, not "Too small: expected number to be >=1".
  const details = page.locator("details.team-panel");
  if ((await details.getAttribute("open")) === null) await details.locator("summary").click();
  await page.getByRole("button", { name: "New team" }).click();
  const team = page.getByRole("dialog", { name: "New team" });
  await team.getByLabel("Team name").fill(unique("crew"));
  await team.getByLabel("Role 1", { exact: true }).fill("reviewer");
  await team.getByLabel("Count 1", { exact: true }).fill("0");
  await team.getByRole("button", { name: "Create team" }).click();
  await expect(team.getByRole("alert")).toHaveText(/whole number of agents from 1 to 1,000/);
  await expect(team).not.toContainText(/Too small|Too big|expected \w+ to/);
  await team.getByRole("button", { name: "Cancel" }).click();

  // New project: an empty name.
  await page.getByRole("button", { name: "New project" }).click();
  const project = page.getByRole("dialog", { name: "New project" });
  await project.getByRole("button", { name: "Create project" }).click();
  await expect(project.getByLabel("Project name")).toHaveAccessibleDescription("Name is required");
  await expect(project).not.toContainText(/Too small|Too big|expected \w+ to/);
  await project.getByRole("button", { name: "Cancel" }).click();
});

test("the fleet is compact on a phone: a small header, the first agent above the fold", async ({ browser }) => {
  const viewport = { width: 390, height: 844 };
  const { context, page } = await signedIn(browser, { viewport, isMobile: true, hasTouch: true });
  await openAgents(page);
  const header = await page.getByRole("banner").boundingBox();
  expect(header?.height ?? Infinity).toBeLessThan(viewport.height * 0.1);
  const first = page.locator("tr[data-agent]").first();
  await expect(first).toBeVisible();
  const row = await first.boundingBox();
  expect(row, "the first agent row is on screen").not.toBeNull();
  expect(row!.y + row!.height).toBeLessThanOrEqual(viewport.height);
  expect(row!.height, "an agent is a dense row, not a tall card").toBeLessThan(140);
  // The project and the live badge stay in the header; the navigation folds into the menu.
  await expect(page.getByLabel("Project")).toBeVisible();
  await expect(liveBadge(page)).toHaveText("Live");
  await expect(page.getByRole("navigation", { name: "Main" })).toBeHidden();
  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
  await page.waitForURL(/\/audit/);
  await expect(page.getByRole("heading", { level: 1, name: "Audit trail" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toBeHidden();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await context.close();
});

test("every page fits a phone: no box around the page, nothing wider than the screen, the brand whole", async ({
  browser,
}) => {
  const viewport = { width: 390, height: 844 };
  const { context, page } = await signedIn(browser, { viewport, isMobile: true, hasTouch: true });
  for (const href of ["/overview", "/agents", "/metrics", "/approvals", "/work", "/policy", "/audit", "/settings"]) {
    await page.goto(href);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expect(liveBadge(page)).toHaveText("Live", { timeout: 20_000 });
    // The wrapper that turns the controls off offline draws nothing (its stylesheet once never shipped).
    const wrapper = await page.locator("fieldset.page-controls").evaluate((el) => {
      const style = getComputedStyle(el);
      return { display: style.display, border: style.borderTopWidth };
    });
    expect(wrapper, href).toEqual({ display: "contents", border: "0px" });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${href} is wider than the phone`).toBeLessThanOrEqual(0);
    const brand = await page.getByRole("banner").getByRole("link", { name: "Tower" }).boundingBox();
    const project = await page.getByRole("banner").getByLabel("Project").boundingBox();
    expect(brand!.x + brand!.width, `${href}: the project switcher covers the brand`).toBeLessThanOrEqual(project!.x);
  }
  await context.close();
});

/** Per select: how wide it must be to show its current option whole, and how wide it is. */
function selectsFit(selects: Element[]) {
  return selects.map((el) => {
    const select = el as HTMLSelectElement;
    const probe = select.cloneNode(true) as HTMLSelectElement;
    [...probe.options].forEach((option, i) => i !== select.selectedIndex && option.remove());
    probe.style.cssText = "position:absolute;visibility:hidden;width:auto;min-width:0;max-width:none;flex:none";
    select.parentElement!.append(probe);
    const need = probe.getBoundingClientRect().width;
    probe.remove();
    return { id: select.id, need: Math.ceil(need), have: Math.floor(select.getBoundingClientRect().width) + 1 };
  });
}

/** Per input: how wide its placeholder is, and how wide its padding box. */
function placeholdersFit(inputs: Element[]) {
  return inputs.map((el) => {
    const input = el as HTMLInputElement;
    const style = getComputedStyle(input);
    const context = document.createElement("canvas").getContext("2d")!;
    context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const need = context.measureText(input.placeholder).width;
    const have = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return { id: input.id, need: Math.ceil(need), have: Math.floor(have) + 1 };
  });
}

test("filters and the search box show their whole text on a desktop", async ({ browser }) => {
  const { context, page } = await signedIn(browser, { viewport: { width: 1280, height: 900 } });
  await openAgents(page);
  const selects = page.locator("form.filters select");
  expect(await selects.count()).toBeGreaterThanOrEqual(6);
  for (const fit of await selects.evaluateAll(selectsFit))
    expect(fit.need, `#${fit.id} shows its option whole`).toBeLessThanOrEqual(fit.have);
  for (const fit of await page.locator("form.filters input[placeholder]").evaluateAll(placeholdersFit))
    expect(fit.need, `#${fit.id} shows its placeholder whole`).toBeLessThanOrEqual(fit.have);

  for (const where of ["/metrics", "/audit"]) {
    await page.goto(where);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    const fits = await page.locator("form.filters select").evaluateAll(selectsFit);
    expect(fits.length).toBeGreaterThan(0);
    for (const fit of fits)
      expect(fit.need, `${where} #${fit.id} shows its option whole`).toBeLessThanOrEqual(fit.have);
  }
  await context.close();
});

test("the login page says how to join once sign-up is closed", async ({ page }) => {
  await page.goto("/login");
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await expect(page.getByText(/needs an invite link from a project owner or admin/)).toBeVisible();
  await expect(page.getByRole("link", { name: "Create an account" })).toHaveCount(0);
});

test("the kill switch's confirmation box looks empty until the name is typed", async ({ page }) => {
  await logIn(page);
  await openAgents(page);
  await page.getByRole("button", { name: "Deactivate all", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Deactivate all agents?" });
  const input = dialog.getByLabel("Type the project name to confirm");
  await expect(input).toHaveValue("");
  await expect(input).toHaveAccessibleName(new RegExp(DEMO)); // the name to type is in the label
  const placeholder = (await input.getAttribute("placeholder")) ?? "";
  expect(placeholder).not.toContain(DEMO);
  expect(placeholder).toMatch(/type/i);
  await expect(dialog.getByRole("button", { name: "Deactivate all agents" })).toBeDisabled();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
});

test("the import report keeps file names whole and counts in the right number", async ({ page }) => {
  await logIn(page);
  await openAgents(page);
  await page.getByRole("link", { name: "Import agents" }).click();
  await page.waitForURL(/\/agents\/import/);
  const suffix = Date.now().toString(36);
  // Wraps at its dashes; its long middle word must stay whole however narrow the column gets.
  const file = `fleet-researchassistantidentityprofilesforteam-${suffix}.yaml`;
  const yaml = [
    "agents:",
    `  - name: imported-${suffix}`,
    "    role: researcher",
    // Rejected, with reasons long enough to make the problems column wide.
    ...[1, 2, 3].flatMap((n) => [
      `  - name: rejected-with-a-rather-long-agent-name-number-${n}-${suffix}`,
      "    role: researcher",
      "    budgetCostUsdPerDay: 0",
    ]),
  ].join("\n");
  await page
    .getByLabel("Identity files")
    .setInputFiles([{ name: file, mimeType: "text/yaml", buffer: Buffer.from(yaml) }]);
  await expect(page.getByText("1 file chosen")).toBeVisible();
  await page.getByRole("button", { name: "Import 1 file", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Import finished" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: /of 1 file$/ })).toHaveText("1 of 1 file");

  const report = page.getByRole("table", { name: "Import report" });
  await expect(report.locator("tbody tr")).toHaveCount(1);
  await expect(report).not.toContainText(/Too small|Too big|expected \w+ to|budgetCostUsdPerDay/);
  await expect(report).toContainText("Budget USD per day");
  // No word of the file name is split over two lines (it may wrap after a separator).
  const broken = await report.locator("tbody th").evaluate((cell) => {
    const split: string[] = [];
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent!.matchAll(/[A-Za-z0-9]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        if (range.getClientRects().length > 1) split.push(match[0]);
      }
    }
    return split;
  });
  expect(broken, "words broken across lines").toEqual([]);

  // The audit trail records the import as "1 file".
  await page.getByRole("link", { name: "Audit", exact: true }).click();
  await page.waitForURL(/\/audit/);
  await page.getByLabel("Operation").fill("agent.import");
  const row = page.locator('.vrow[data-operation="agent.import"]').first();
  await expect(row.locator(".c-target")).toHaveText("1 file");
});

test("the first paint is the app's frame, styled, not a bare Loading…", async ({ page, request }) => {
  // The server's HTML already holds the header and the navigation.
  const html = await (await request.get("/overview")).text();
  expect(html).toContain('class="app-header"');
  expect(html).toMatch(/<nav[^>]*aria-label="Main"/);
  expect(html).not.toMatch(/<p class="loading">Loading…<\/p>/);

  // While the account is still loading, the browser shows that frame, styled.
  await logIn(page);
  await page.route(/\/trpc\/[^?]*auth\.me/, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await route.continue().catch(() => {});
  });
  await page.goto("/agents");
  const header = page.getByRole("banner");
  await expect(header).toBeVisible({ timeout: 1_500 });
  await expect(header.getByRole("link", { name: "Tower" })).toBeVisible({ timeout: 1_500 });
  expect(await header.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe("rgb(255, 255, 255)");
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe("rgb(246, 247, 249)");
  await expect(page.getByRole("heading", { level: 1, name: "Agents" })).toBeVisible();
});

test("the manifest's colours match the light theme the app opens in", async ({ page, request }) => {
  const manifest = (await (await request.get("/manifest.webmanifest")).json()) as {
    background_color: string;
    theme_color: string;
  };
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto("/login");
  const toRgb = (hex: string) => {
    const n = Number.parseInt(hex.slice(1), 16);
    return `rgb(${n >> 16}, ${(n >> 8) & 255}, ${n & 255})`;
  };
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(toRgb(manifest.background_color)).toBe(background);
  const lightThemeColor = await page
    .locator('meta[name="theme-color"][media="(prefers-color-scheme: light)"]')
    .getAttribute("content");
  expect(manifest.theme_color.toLowerCase()).toBe(lightThemeColor?.toLowerCase());
});

test("npm start and npm test run the build tools with their telemetry off", async () => {
  // scripts/bootstrap.mjs with a stand-in pnpm that reports the environment it was started with;
  // its build "fails", so the script stops before starting any server.
  const root = path.resolve(import.meta.dirname, "../../..");
  const bin = mkdtempSync(path.join(os.tmpdir(), "tower-fake-pnpm-"));
  try {
    const fake = path.join(bin, "pnpm");
    writeFileSync(
      fake,
      [
        "#!/bin/sh",
        'if [ "$1" = "--version" ]; then echo 10.99.0; exit 0; fi',
        'echo "pnpm $1 NEXT=${NEXT_TELEMETRY_DISABLED-unset} TURBO=${TURBO_TELEMETRY_DISABLED-unset} DNT=${DO_NOT_TRACK-unset}"',
        '[ "$1" = "install" ] && exit 0',
        "exit 1",
      ].join("\n"),
    );
    chmodSync(fake, 0o755);
    const env: Record<string, string> = {
      PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: os.tmpdir(),
    };
    const start = async (extra: Record<string, string>) => {
      const result = await run(process.execPath, [path.join(root, "scripts/bootstrap.mjs"), "start"], {
        cwd: root,
        env: { ...env, ...extra } as NodeJS.ProcessEnv,
        timeout: 30_000,
      }).catch((error: { stdout: string; code: number }) => error);
      return result.stdout;
    };
    const out = await start({});
    expect(out).toContain("pnpm install NEXT=1 TURBO=1 DNT=1");
    expect(out).toContain("pnpm turbo NEXT=1 TURBO=1 DNT=1");
    // A choice the user made is kept.
    expect(await start({ NEXT_TELEMETRY_DISABLED: "0" })).toContain("pnpm turbo NEXT=0 TURBO=1 DNT=1");
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});
