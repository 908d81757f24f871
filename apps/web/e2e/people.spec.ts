import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { logIn, openAgents } from "./helpers";

// People (issue 18): invites, passwords, sessions, members, and the dashboard's security headers.
// Runs after tower.spec.ts (the owner account and the demo project exist). The owner's own password
// is never changed here: the other specs sign in with it.

test.describe.configure({ mode: "serial" });

const MEMBER = {
  name: "Mia Member",
  email: `mia-${Date.now().toString(36)}@example.test`,
  password: "lantern orchard velvet",
};
const NEW_PASSWORD = "quiet harbour compass";

async function newPage(browser: Browser) {
  const context = await browser.newContext();
  return { context, page: await context.newPage() };
}

async function logInAs(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/overview/);
}

const memberRow = (page: Page) => page.locator(`li[data-member="${MEMBER.email}"]`);

test("the dashboard sends a CSP that keeps it working, and HSTS only when reached over HTTPS", async ({
  page,
  request,
}) => {
  const plain = await request.get("/login");
  const csp = plain.headers()["content-security-policy"] ?? "";
  for (const directive of ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'"])
    expect(csp).toContain(directive);
  expect(csp).not.toContain("unsafe-eval");
  expect(plain.headers()["strict-transport-security"]).toBeUndefined();
  // As a TLS-terminating proxy the dashboard trusts (loopback, in this config) would forward it.
  const viaTls = await request.get("/login", { headers: { "x-forwarded-proto": "https" } });
  expect(viaTls.headers()["strict-transport-security"]).toBe("max-age=31536000");

  // Nothing the app loads is blocked: pages, scripts, styles, the API and its WebSocket.
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await logIn(page);
  await openAgents(page);
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
  expect(violations).toEqual([]);
});

test("an invite link keeps its token out of every request line; a weak password is refused with the reason", async ({
  browser,
}) => {
  // Another window on Settings follows the invite and the new member live, without a reload.
  const watcher = await newPage(browser);
  await logIn(watcher.page);
  await watcher.page.getByRole("link", { name: "Settings" }).click();
  const revokeButtons = watcher.page.getByRole("button", { name: "Revoke invite" });
  await expect(watcher.page.getByText("No open invites.").or(revokeButtons.first())).toBeVisible();
  await expect(watcher.page.locator("li[data-member]").first()).toBeVisible();
  const openInvites = await revokeButtons.count();
  await watcher.page.waitForTimeout(300); // its live feed open

  const owner = await newPage(browser);
  await logIn(owner.page);
  await owner.page.getByRole("link", { name: "Settings" }).click();
  await owner.page.getByRole("button", { name: "Create invite link" }).click();
  const link = await owner.page.getByLabel("Invite link").inputValue();
  await expect(revokeButtons).toHaveCount(openInvites + 1);
  expect(link).toMatch(/\/invite#[\w-]+$/);
  const token = link.split("#")[1]!;

  const invitee = await newPage(browser);
  const requestLines: string[] = [];
  invitee.page.on("request", (req) => {
    const url = new URL(req.url());
    requestLines.push(`${req.method()} ${url.pathname}${url.search}`);
  });
  await invitee.page.goto(link);
  await expect(invitee.page.getByRole("heading", { name: /^Join / })).toBeVisible();
  await invitee.page.getByLabel("Name").fill(MEMBER.name);
  await invitee.page.getByLabel("Email").fill(MEMBER.email);
  await invitee.page.getByLabel("Password").fill("password1234");
  await invitee.page.getByRole("button", { name: "Create account and join" }).click();
  await expect(invitee.page.getByText(/This password is too easy to guess/)).toBeVisible();
  await invitee.page.getByLabel("Password").fill(MEMBER.password);
  await invitee.page.getByRole("button", { name: "Create account and join" }).click();
  await invitee.page.waitForURL(/\/overview/);

  expect(requestLines.length).toBeGreaterThan(0);
  expect(requestLines.filter((line) => line.includes(token))).toEqual([]);
  await expect(memberRow(watcher.page)).toBeVisible();
  await expect(revokeButtons).toHaveCount(openInvites);
  await owner.context.close();
  await invitee.context.close();
  await watcher.context.close();
});

test("a member sees their sessions, signs another one out, and changes their password", async ({ browser }) => {
  const laptop = await newPage(browser);
  await logInAs(laptop.page, MEMBER.email, MEMBER.password);
  const phone = await newPage(browser);
  await logInAs(phone.page, MEMBER.email, MEMBER.password);

  await laptop.page.getByRole("link", { name: "Settings" }).click();
  // Members' emails are for owners and admins: this operator sees names only.
  const members = laptop.page.getByRole("region", { name: "Members" });
  await expect(members.getByText("Olive Owner")).toBeVisible();
  await expect(members.getByText("owner@example.test")).toHaveCount(0);
  const sessions = laptop.page.getByRole("list", { name: "Your sessions" });
  // The invite sign-up's session, this one and the phone's.
  await expect(sessions.getByRole("listitem")).toHaveCount(3);
  await expect(sessions.getByText("this device")).toHaveCount(1);
  for (const remaining of [2, 1]) {
    await sessions
      .getByRole("button", { name: /^Sign out (?!this session)/ })
      .first()
      .click();
    await expect(sessions.getByRole("listitem")).toHaveCount(remaining);
  }
  await expect(sessions.getByText("this device")).toHaveCount(1);
  // The phone's open page goes to sign-in by itself: its live streams ended with its session (it
  // used to stay on the page, "Live", with nothing arriving).
  await phone.page.waitForURL(/\/login/);

  const form = laptop.page.getByRole("form", { name: "Change password" });
  await form.getByLabel("Current password").fill("not my password");
  await form.getByLabel("New password").fill(NEW_PASSWORD);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByText("This is not your current password")).toBeVisible();
  await form.getByLabel("Current password").fill(MEMBER.password);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("status")).toHaveText("Password changed.");
  await logInAs(phone.page, MEMBER.email, NEW_PASSWORD);
  await laptop.context.close();
  await phone.context.close();
});

test("an owner changes a member's role, hands them a one-time reset link, and removes them", async ({ browser }) => {
  const owner = await newPage(browser);
  await logIn(owner.page);
  await owner.page.getByRole("link", { name: "Settings" }).click();
  const row = memberRow(owner.page);
  await expect(row).toContainText(MEMBER.email);
  await row.getByLabel(`Role of ${MEMBER.name}`).selectOption("viewer");
  await owner.page.reload();
  await expect(memberRow(owner.page).getByLabel(`Role of ${MEMBER.name}`)).toHaveValue("viewer");

  const member = await newPage(browser);
  await logInAs(member.page, MEMBER.email, NEW_PASSWORD);

  await memberRow(owner.page).getByRole("button", { name: "Reset password" }).click();
  const resetLink = await owner.page.getByLabel("Password reset link", { exact: true }).inputValue();
  expect(resetLink).toMatch(/\/reset-password#[\w-]+$/);

  const reset = await newPage(browser);
  await reset.page.goto(resetLink);
  await reset.page.getByLabel("New password").fill("password1234");
  await reset.page.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(reset.page.getByText(/This password is too easy to guess/)).toBeVisible();
  await reset.page.getByLabel("New password").fill("amber meadow lighthouse");
  await reset.page.getByRole("button", { name: "Set password and sign in" }).click();
  await reset.page.waitForURL(/\/overview/);
  // Every earlier session of the account ended.
  await member.page.reload();
  await member.page.waitForURL(/\/login/);
  // The link works once.
  const again = await newPage(browser);
  await again.page.goto(resetLink);
  await again.page.getByLabel("New password").fill("another sturdy passphrase");
  await again.page.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(again.page.getByText(/invalid, used or expired/)).toBeVisible();

  await memberRow(owner.page)
    .getByRole("button", { name: `Remove ${MEMBER.name}` })
    .click();
  // Asked in the page first; Cancel changes nothing.
  const confirm = owner.page.getByRole("dialog", { name: `Remove ${MEMBER.name} from this project?` });
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(confirm).toHaveCount(0);
  await expect(memberRow(owner.page)).toHaveCount(1);
  await memberRow(owner.page)
    .getByRole("button", { name: `Remove ${MEMBER.name}` })
    .click();
  await confirm.getByRole("button", { name: "Remove member" }).click();
  await expect(owner.page.getByRole("status").filter({ hasText: "was removed" })).toBeVisible();
  await expect(memberRow(owner.page)).toHaveCount(0);
  await reset.page.reload();
  await expect(reset.page.getByText("You are not a member of any project yet")).toBeVisible();
  for (const { context } of [owner, member, reset, again]) await context.close();
});

/** A free loopback port (asked of the OS, then released for a server to take). */
async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, "close");
  return port;
}

/**
 * scripts/bootstrap.mjs with a stand-in pnpm (install and build succeed at once: the dashboard was
 * built before these tests), so it starts the real API server and dashboard on free ports.
 */
async function startNpm() {
  const root = path.resolve(import.meta.dirname, "../../..");
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-npm-start-"));
  const fake = path.join(dir, "pnpm");
  writeFileSync(fake, ["#!/bin/sh", 'if [ "$1" = "--version" ]; then echo 10.99.0; fi', "exit 0"].join("\n"));
  chmodSync(fake, 0o755);
  const [apiPort, webPort] = [await freePort(), await freePort()];
  const env: Record<string, string | undefined> = {
    // As a person runs it: none of this run's Tower settings, only ports of its own.
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(TOWER_|HOST$|PORT$)/.test(key))),
    PATH: `${dir}:${process.env.PATH ?? ""}`,
    TOWER_PORT: String(apiPort),
    PORT: String(webPort),
    TOWER_DB_PATH: path.join(dir, "tower.sqlite"),
    TOWER_DEMO: "false",
  };
  const child = spawn(process.execPath, [path.join(root, "scripts/bootstrap.mjs"), "start"], {
    cwd: root,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const started = { child, dir, apiPort, webPort, output: "" };
  child.stdout.on("data", (chunk: Buffer) => (started.output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (started.output += chunk.toString()));
  return started;
}

/** Whether something answers on the loopback port. */
const answers = (port: number) =>
  fetch(`http://127.0.0.1:${port}/`).then(
    () => true,
    () => false,
  );

test("npm start prints a fresh install's one-time setup code, and the dashboard listens on loopback", async () => {
  test.setTimeout(120_000);
  const npm = await startNpm();
  const { child, dir, apiPort, webPort } = npm;
  try {
    await expect
      .poll(() => npm.output, { timeout: 90_000 })
      .toMatch(/one-time setup code:\s+([A-Z0-9]{4}-){3}[A-Z0-9]{4}/);
    const code = /one-time setup code:\s+(\S+)/.exec(npm.output)![1]!;
    expect(npm.output).toContain(`Tower web ready on http://127.0.0.1:${webPort}`);
    const signUp = (setupCode: string) =>
      fetch(`http://127.0.0.1:${apiPort}/trpc/auth.signUp`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "first@example.test", name: "First", password: NEW_PASSWORD, setupCode }),
      });
    expect((await signUp("AAAA-BBBB-CCCC-DDDD")).status).toBe(403);
    expect((await signUp(code)).status).toBe(200);
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm start killed outright (SIGKILL) takes the API server and the dashboard with it", async () => {
  test.setTimeout(120_000);
  const npm = await startNpm();
  const { child, dir, apiPort, webPort } = npm;
  try {
    await expect.poll(() => npm.output, { timeout: 90_000 }).toContain("Tower web ready");
    await expect.poll(() => answers(apiPort), { timeout: 30_000 }).toBe(true);
    expect(await answers(webPort)).toBe(true);
    child.kill("SIGKILL");
    // Nothing runs on as an orphan holding the ports and the database.
    await expect.poll(() => answers(apiPort), { timeout: 20_000 }).toBe(false);
    await expect.poll(() => answers(webPort), { timeout: 20_000 }).toBe(false);
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
