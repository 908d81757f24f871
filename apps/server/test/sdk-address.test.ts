// The SDK's `url`: checked when the client is made, kept under its path (Tower behind a proxy at a
// sub-path), and named in the error when nothing answers there.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createTowerClient } from "@tower/sdk";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness";
import { freePort } from "./reliability/server-process";

let tower: TestServer;
beforeAll(async () => {
  tower = await startTestServer();
});
afterAll(() => tower.stop());

it("refuses a url that is not an http(s) address at once, naming the option", () => {
  for (const url of ["localhost:3001", "", "ftp://tower.example", undefined]) {
    expect(() => createTowerClient({ url: url as string, apiKey: "k" })).toThrow(
      /^createTowerClient: url must be Tower's address with http:\/\/ or https:\/\//,
    );
  }
});

it("says which address could not be reached, and why", async () => {
  const port = await freePort();
  const client = createTowerClient({ url: `http://127.0.0.1:${port}`, apiKey: tower.apiKey });
  await expect(client.api.agent.list.query({ limit: 1 })).rejects.toThrow(
    `Tower could not be reached at http://127.0.0.1:${port} (ECONNREFUSED)`,
  );
  await client.close();
});

it("keeps the url's path (a proxy at a sub-path), and takes a url ending in /trpc as the API", async () => {
  const paths: string[] = [];
  // A proxy serving Tower under /tower: strips the prefix and passes the call on.
  const proxy = http.createServer((req, res) => {
    paths.push(req.url!);
    const upstream = http.request(
      `${tower.url}${req.url!.replace(/^\/tower/, "")}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  try {
    for (const url of [`${base}/tower`, `${base}/tower/`, `${base}/tower/trpc`]) {
      const client = createTowerClient({ url, apiKey: tower.apiKey });
      expect((await client.api.agent.list.query({ limit: 1 })).items).toBeInstanceOf(Array);
      await client.close();
    }
    expect(paths).toHaveLength(3);
    expect(paths.every((path) => path.startsWith("/tower/trpc/agent.list"))).toBe(true);
  } finally {
    proxy.closeAllConnections();
    proxy.close();
  }
});

it("leaves no process listeners behind once shut down: twenty clients made Node warn of a leak", async () => {
  const before = ["SIGINT", "SIGTERM", "beforeExit"].map((event) => process.listenerCount(event));
  const clients = Array.from({ length: 20 }, () => createTowerClient({ url: tower.url, apiKey: tower.apiKey }));
  expect(process.listenerCount("SIGTERM")).toBe(before[1]! + 20);
  await Promise.all(clients.map((client) => client.shutdown()));
  expect(["SIGINT", "SIGTERM", "beforeExit"].map((event) => process.listenerCount(event))).toEqual(before);
});

it("refuses an empty apiKey at once, naming the option (an environment variable set to nothing)", () => {
  for (const apiKey of ["", "   "]) {
    expect(() => createTowerClient({ url: tower.url, apiKey })).toThrow(
      /^createTowerClient: apiKey is empty; pass a project API key/,
    );
  }
});
