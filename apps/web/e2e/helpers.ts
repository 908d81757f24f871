import { expect, type Page } from "@playwright/test";

export const OWNER = { name: "Olive Owner", email: "owner@example.test", password: "correct-horse-battery" };

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
