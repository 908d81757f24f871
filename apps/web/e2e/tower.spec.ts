import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import { agentRow, logIn, openAgents, searchAgents, signUpFirstOwner } from "./helpers";

const run = promisify(execFile);

// One database for the whole run: the first account is created once, then reused.
test.describe.configure({ mode: "serial" });

test("first sign-up creates the owner and shows the demo fleet", async ({ page }) => {
  await signUpFirstOwner(page);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await openAgents(page);
  // The demo fleet is large: the hand-written agents are found by search.
  for (const name of ["scout", "builder", "critic", "concierge"]) {
    await searchAgents(page, name);
    await expect(agentRow(page, name)).toBeVisible();
  }
  await expect(page.getByLabel("Project")).toContainText("Demo fleet");
});

test("an agent registered with an API key appears live", async ({ page }) => {
  await logIn(page);
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByLabel("Key name").fill("e2e-key");
  // Registering agents is administering them: a manage key (an agent key can only run its agents).
  await page.getByLabel(/^Manage:/).check();
  await page.getByRole("button", { name: "Create API key" }).click();
  const secretField = page.getByLabel("New API key secret");
  await expect(secretField).toBeVisible();
  const secret = await secretField.inputValue();
  expect(secret).toMatch(/^tower_/);
  await expect(page.getByText("It is shown only once")).toBeVisible();
  await expect(page.getByRole("row", { name: /e2e-key/ })).toBeVisible();

  await page.getByRole("link", { name: "Agents" }).click();
  await openAgents(page);
  await searchAgents(page, "e2e-agent");
  await expect(agentRow(page, "e2e-agent")).toHaveCount(0);

  const { stdout } = await run(process.execPath, ["--import", "tsx", "register-agent.ts", "e2e-agent"], {
    cwd: process.env.TOWER_E2E_EXAMPLES_DIR,
    env: { ...process.env, TOWER_URL: process.env.TOWER_E2E_API_URL, TOWER_API_KEY: secret },
    timeout: 30_000,
  });
  expect(stdout).toContain('Registered agent "e2e-agent"');
  await expect(agentRow(page, "e2e-agent")).toBeVisible();
  await expect(agentRow(page, "e2e-agent")).toContainText("researcher");
});

test("an API key gets the expiry chosen for it, shown in the key list", async ({ page }) => {
  await logIn(page);
  await page.getByRole("link", { name: "Settings" }).click();
  const expiry = page.getByLabel("Key expires in");
  await expect(expiry).toHaveValue("90"); // the form's default, as the page says
  await expect(page.getByText("A new key expires after 90 days")).toBeVisible();

  await page.getByLabel("Key name").fill("e2e-expiring");
  await page.getByLabel(/^Read:/).check();
  await expiry.selectOption({ label: "30 days" });
  await page.getByRole("button", { name: "Create API key" }).click();
  await expect(page.getByLabel("New API key secret")).toBeVisible();
  const row = page.getByRole("row", { name: /e2e-expiring/ });
  await expect(row).toBeVisible();
  // The date as the browser formats it, 30 days from the key's creation (give or take the minute).
  const expected = await page.evaluate(() => {
    const at = Date.now() + 30 * 86_400_000;
    return new Date(at).toLocaleDateString(undefined, { dateStyle: "medium" });
  });
  await expect(row.getByRole("cell").filter({ hasText: /^expires / })).toHaveText(`expires ${expected}`);
  await expect(row).toContainText("active");

  await page.getByLabel("Key name").fill("e2e-forever");
  await page.getByLabel(/^Read:/).check();
  await expiry.selectOption({ label: "Never" });
  await page.getByRole("button", { name: "Create API key" }).click();
  await expect(page.getByText("It never expires.")).toBeVisible();
  await expect(page.getByRole("row", { name: /e2e-forever/ })).toContainText("never expires");

  // Revoking asks in the page; the key then reads revoked and answers 401.
  const secret = await page.getByLabel("New API key secret").inputValue();
  await page.getByRole("button", { name: "Revoke e2e-forever" }).click();
  const confirm = page.getByRole("dialog", { name: "Revoke e2e-forever?" });
  await expect(confirm).toContainText("Software using this key stops working at once");
  await confirm.getByRole("button", { name: "Revoke key" }).click();
  await expect(confirm).toHaveCount(0);
  await expect(page.getByRole("row", { name: /e2e-forever/ })).toContainText("revoked");
  // Asked from outside the browser (its session cookie would stand in for the revoked key).
  const answer = await fetch(`${process.env.TOWER_E2E_API_URL}/trpc/agent.list?input=${encodeURIComponent("{}")}`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  expect(answer.status).toBe(401);
});

test("create, edit and delete sync between two sessions", async ({ browser }) => {
  const contextA = await browser.newContext();
  const contextB = await browser.newContext();
  const a = await contextA.newPage();
  const b = await contextB.newPage();
  await logIn(a);
  await logIn(b);
  await openAgents(a);
  await openAgents(b);
  await searchAgents(a, "live-sync");
  await searchAgents(b, "live-sync");

  await a.getByRole("button", { name: "New agent" }).click();
  const createDialog = a.getByRole("dialog");
  await createDialog.getByLabel("Name", { exact: true }).fill("live-sync");
  await createDialog.getByLabel("Role", { exact: true }).fill("tester");
  await createDialog.getByLabel("Tags").fill("e2e, live");
  await createDialog.getByLabel("Path scopes").fill("src/**\ndocs/*.md");
  await createDialog.getByLabel("Budget USD per day").fill("2.5");
  await createDialog.getByRole("button", { name: "Create agent" }).click();
  await expect(createDialog).toBeHidden();
  await expect(agentRow(a, "live-sync")).toContainText("tester");
  await expect(agentRow(b, "live-sync")).toContainText("tester");

  await b.getByRole("button", { name: "Edit live-sync" }).click();
  const editDialog = b.getByRole("dialog");
  await expect(editDialog.getByLabel("Path scopes")).toHaveValue("src/**\ndocs/*.md");
  await editDialog.getByLabel("Role", { exact: true }).fill("reviewer");
  await editDialog.getByRole("button", { name: "Save changes" }).click();
  await expect(editDialog).toBeHidden();
  await expect(agentRow(a, "live-sync")).toContainText("reviewer");

  await a.getByRole("button", { name: "Delete live-sync" }).click();
  await a.getByRole("dialog").getByRole("button", { name: "Delete agent" }).click();
  await expect(agentRow(a, "live-sync")).toHaveCount(0);
  await expect(agentRow(b, "live-sync")).toHaveCount(0);

  await contextA.close();
  await contextB.close();
});

test("a duplicate name shows the server's message at the name field", async ({ page }) => {
  await logIn(page);
  await openAgents(page);
  await searchAgents(page, "scout");
  await expect(agentRow(page, "scout")).toHaveCount(1);
  const before = await page.locator("tr[data-agent]").count();

  await page.getByRole("button", { name: "New agent" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name", { exact: true }).fill("scout");
  await dialog.getByLabel("Role", { exact: true }).fill("duplicate");
  await dialog.getByRole("button", { name: "Create agent" }).click();

  const name = dialog.getByLabel("Name", { exact: true });
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(name).toHaveAccessibleDescription(/already exists/);
  await expect(dialog).toBeVisible();

  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.locator("tr[data-agent]")).toHaveCount(before);
  await expect(agentRow(page, "scout")).not.toContainText("duplicate");
});

test("a blank role shows the validation message at the role field", async ({ page }) => {
  await logIn(page);
  await openAgents(page);
  await page.getByRole("button", { name: "New agent" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name", { exact: true }).fill("no-role");
  await dialog.getByRole("button", { name: "Create agent" }).click();
  await expect(dialog.getByLabel("Role", { exact: true })).toHaveAccessibleDescription(/Role is required/);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(agentRow(page, "no-role")).toHaveCount(0);
});

test("the web app manifest is served with 192 and 512 icons", async ({ page, request }) => {
  const response = await request.get("/manifest.webmanifest");
  expect(response.ok()).toBe(true);
  const manifest = (await response.json()) as {
    name: string;
    start_url: string;
    display: string;
    icons: { src: string; sizes: string }[];
  };
  expect(manifest).toMatchObject({ name: "Tower", start_url: "/overview", display: "standalone" });
  const sizes = manifest.icons.map((icon) => icon.sizes);
  expect(sizes).toEqual(expect.arrayContaining(["192x192", "512x512"]));
  for (const icon of manifest.icons) {
    const png = await request.get(icon.src);
    expect(png.ok()).toBe(true);
    expect(png.headers()["content-type"]).toBe("image/png");
  }
  await page.goto("/login");
  await expect(page.locator('link[rel="manifest"]')).toHaveAttribute("href", /manifest\.webmanifest/);

  const headers = (await request.get("/login")).headers();
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
});

test("the fleet is usable on a 390px wide phone", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await logIn(page);
  await openAgents(page);
  await searchAgents(page, "scout");
  await expect(agentRow(page, "scout")).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.getByRole("button", { name: "Edit scout" })).toBeVisible();
  await context.close();
});

test.describe("without the service worker", () => {
  // With it, every chunk of the build is on the device from the first visit, so a dialog's code
  // cannot fail to load; this is the first visit of a browser without one.
  test.use({ serviceWorkers: "block" });

  test("a dialog whose code cannot be fetched says so, and opens on retry", async ({ page }) => {
    await logIn(page);
    await openAgents(page);
    // Dialogs load their code on first open; here that fetch fails, as it would offline.
    await page.route("**/_next/static/chunks/**", (route) => route.abort());
    await page.getByRole("button", { name: "New agent" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "Could not load this part of the page" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Agents" })).toBeVisible(); // the page is still there
    await page.unroute("**/_next/static/chunks/**");
    await page.getByRole("button", { name: "Try again" }).click();
    const dialog = page.getByRole("dialog", { name: "New agent" });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toHaveCount(0);
  });
});
