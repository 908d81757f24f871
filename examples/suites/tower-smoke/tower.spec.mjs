// A small check of a running Tower, as the example suite (tower-suites.yaml) runs it.
import { expect, test } from "@playwright/test";

test("is alive", async ({ request }) => {
  const response = await request.get("/healthz");
  expect(response.status()).toBe(200);
});

test("is ready: migrations applied, database answering", async ({ request }) => {
  const response = await request.get("/readyz");
  expect(response.status()).toBe(200);
});

test("refuses the API without a session or key", async ({ request }) => {
  const response = await request.get("/trpc/agent.list?input=%7B%7D");
  expect(response.status()).toBe(401);
  expect((await response.json()).error.message).toMatch(/sign in|API key/i);
});

test("sends security headers", async ({ request }) => {
  const response = await request.get("/healthz");
  expect(response.headers()["x-content-type-options"]).toBe("nosniff");
});
