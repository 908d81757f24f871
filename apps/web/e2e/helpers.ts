import { expect, request, type Page } from "@playwright/test";

export const OWNER = { name: "Olive Owner", email: "owner@example.test", password: "correct-horse-battery" };

/** The fresh install's setup code, preset for the API server by playwright.config.ts. */
export const SETUP_CODE = process.env.TOWER_E2E_SETUP_CODE ?? "";

/** Signs up the first account on the fresh install, with the setup code the server was given. */
export async function signUpFirstOwner(page: Page) {
  await page.goto("/agents");
  await page.waitForURL(/\/signup/);
  await expect(page.getByRole("heading", { name: "Create the first account" })).toBeVisible();
  await page.getByLabel("Setup code").fill(SETUP_CODE);
  await page.getByLabel("Name").fill(OWNER.name);
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/overview/);
}

export async function logIn(page: Page) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/overview/);
}

/** The fleet table is loaded and the live subscription is connected. */
export async function openAgents(page: Page) {
  if (!page.url().includes("/agents")) await page.goto("/agents");
  await expect(page.getByRole("table")).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 20_000 });
}

export function agentRow(page: Page, name: string) {
  return page.locator(`tr[data-agent="${name}"]`);
}

/** Narrows the fleet with the search box (the demo fleet has more agents than one page). */
export async function searchAgents(page: Page, text: string) {
  await page.getByLabel("Search").fill(text);
  await page.waitForTimeout(400); // the search box is debounced (250 ms)
  await expect(page.getByText("Loading agents…")).toHaveCount(0);
}

/** Logs in as any member (an invited one, say) with their email and password. */
export async function logInAs(page: Page, account: { email: string; password: string }) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/overview/);
}

/** A procedure call as tRPC's HTTP link makes it (GET without input, else POST); returns `result.data`. */
export type ApiCall = <T>(procedure: string, input?: unknown) => Promise<T>;

/**
 * The owner's own API session, straight to the API server (not through a page), for what a spec
 * sets up or changes behind the page's back. `dispose` when done.
 */
export async function ownerApi(): Promise<{ call: ApiCall; dispose(): Promise<void> }> {
  const apiUrl = process.env.TOWER_E2E_API_URL!;
  const context = await request.newContext();
  const call: ApiCall = async <T>(procedure: string, input?: unknown) => {
    const response =
      input === undefined
        ? await context.get(`${apiUrl}/trpc/${procedure}`)
        : await context.post(`${apiUrl}/trpc/${procedure}`, { data: input });
    expect(response.ok(), `${procedure}: ${await response.text()}`).toBe(true);
    return ((await response.json()) as { result: { data: T } }).result.data;
  };
  await call("auth.logIn", { email: OWNER.email, password: OWNER.password });
  return { call, dispose: () => context.dispose() };
}

/** The owner account: tower.spec.ts made it in a full run; a spec run alone signs it up here. */
export async function ensureOwner() {
  const apiUrl = process.env.TOWER_E2E_API_URL!;
  const context = await request.newContext();
  const login = await context.post(`${apiUrl}/trpc/auth.logIn`, {
    data: { email: OWNER.email, password: OWNER.password },
  });
  if (!login.ok()) {
    const signUp = await context.post(`${apiUrl}/trpc/auth.signUp`, {
      data: { email: OWNER.email, name: OWNER.name, password: OWNER.password, setupCode: SETUP_CODE },
    });
    expect(signUp.ok(), await signUp.text()).toBe(true);
  }
  await context.dispose();
}

/**
 * From now on the page's reads of `procedure` (a query, over HTTP, alone or in a batch) answer with
 * `copy`, as a read made earlier and delivered late would. Returns how many were answered so. The
 * test's context must block service workers (Playwright's routes do not see their requests).
 */
export async function answerLate(page: Page, procedure: string, copy: unknown): Promise<() => number> {
  let answered = 0;
  const path = new RegExp(`/trpc/[^?]*${procedure.replace(".", "\\.")}`);
  await page.route(path, async (route) => {
    const response = await route.fetch();
    const names = new URL(route.request().url()).pathname.split("/").pop()!.split(",");
    const body = (await response.json()) as unknown[];
    names.forEach((name, i) => {
      if (name === procedure) body[i] = { result: { data: copy } };
    });
    answered++;
    await route.fulfill({ response, json: body });
  });
  return () => answered;
}
