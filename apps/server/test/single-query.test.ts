import http from "node:http";
import type { AddressInfo } from "node:net";
import { appRouter, createContext } from "@tower/api";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialsFrom } from "../src/session-cookie";
import { startTestServer } from "./harness";

/**
 * Single GET queries are answered by Tower's own fast path; tRPC's adapter, run on the same
 * database, is the reference: status, content type and body must be the same for each request.
 */
let tower: Awaited<ReturnType<typeof startTestServer>>;
let reference: http.Server;
let referenceUrl: string;

beforeAll(async () => {
  tower = await startTestServer();
  const handler = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    createContext: ({ req }) => createContext(tower.deps, credentialsFrom(req)),
  });
  reference = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => reference.listen(0, "127.0.0.1", resolve));
  referenceUrl = `http://127.0.0.1:${(reference.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => reference.close(resolve));
  await tower.stop();
});

async function answer(base: string, path: string, headers: Record<string, string>) {
  const response = await fetch(base + path, { headers });
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    vary: response.headers.get("vary"),
    body: (await response.json()) as unknown,
  };
}

const q = (procedure: string, input?: unknown) =>
  `/trpc/${procedure}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`;

describe("single-query fast path", () => {
  const cases: [string, () => string, "key" | "none"][] = [
    ["a query that succeeds", () => q("agent.list", { projectId: tower.projectId, limit: 5 }), "key"],
    ["a query with no input", () => q("auth.me"), "none"],
    ["input that fails validation", () => q("agent.list", { projectId: tower.projectId, limit: -1 }), "key"],
    ["no credentials", () => q("agent.list", { projectId: tower.projectId }), "none"],
    ["a foreign project", () => q("agent.list", { projectId: "no-such-project" }), "key"],
    ["a missing record", () => q("agent.byId", { projectId: tower.projectId, id: "nope" }), "key"],
    ["an unknown procedure", () => q("agent.nope", {}), "key"],
    ["a mutation over GET", () => q("agent.create", { projectId: tower.projectId }), "key"],
    ["input that is not JSON", () => "/trpc/agent.list?input=%7Bnot-json", "key"],
    ["a batch", () => `/trpc/agent.list,auth.me?batch=1&input=${encodeURIComponent("{}")}`, "key"],
  ];
  it.each(cases)("answers %s exactly as tRPC's adapter does", async (_name, path, auth) => {
    const headers: Record<string, string> = auth === "key" ? { authorization: `Bearer ${tower.apiKey}` } : {};
    const fast = await answer(tower.url, path(), headers);
    const adapter = await answer(referenceUrl, path(), headers);
    expect(fast).toEqual(adapter);
  });
});
