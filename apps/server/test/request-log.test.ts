// What the server's request log keeps of a URL, and methods tRPC cannot read.
import { request } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { recordingLogger, startTestServer, waitFor, type TestServer } from "./harness";

let tower: TestServer;
const log = recordingLogger();

beforeAll(async () => {
  tower = await startTestServer({ logger: log.logger });
});
afterAll(() => tower.stop());

const loggedUrls = () => log.lines.flatMap((line) => (line as { req?: { url?: string } }).req?.url ?? []);

it("logs a query's parameter names, never their values: a password or key sent in a URL stays out of the log", async () => {
  const input = encodeURIComponent(JSON.stringify({ email: "o@example.com", password: "LeakedPw-987654" }));
  const login = await fetch(`${tower.url}/trpc/auth.logIn?input=${input}`);
  expect(login.status).toBe(405); // a mutation is not read from a GET
  const listed = await fetch(`${tower.url}/trpc/agent.list?apiKey=${tower.apiKey}&batch=1&input=%7B%7D`);
  expect(listed.status).toBe(400); // not a batch's input: refused, and logged
  await waitFor(() => loggedUrls().length >= 2, "both requests in the log");
  const text = JSON.stringify(log.lines);
  expect(text).not.toContain("LeakedPw-987654");
  expect(text).not.toContain(tower.apiKey);
  expect(loggedUrls()).toEqual(
    expect.arrayContaining([
      "/trpc/auth.logIn?input=[redacted]",
      "/trpc/agent.list?apiKey=[redacted]&batch=1&input=[redacted]",
    ]),
  );
});

it("logs a refused request's headers that help find the problem; any other header by name only", async () => {
  const secret = "tower_ProxyLeak-4242";
  const refused = await fetch(`${tower.url}/trpc/agent.list`, {
    headers: { "proxy-authorization": `Bearer ${secret}`, "x-my-token": secret, "user-agent": "probe/1" },
  });
  expect(refused.status).toBe(400); // no input: refused, and logged
  const logged = () =>
    log.lines.flatMap((line) => {
      const req = (line as { req?: { headers?: Record<string, unknown> } }).req;
      return req?.headers?.["user-agent"] === "probe/1" ? [req.headers] : [];
    });
  await waitFor(() => logged().length > 0, "the refused request in the log");
  expect(JSON.stringify(log.lines)).not.toContain(secret);
  expect(logged()[0]).toMatchObject({
    "user-agent": "probe/1",
    "(not logged)": expect.stringMatching(/proxy-authorization.*x-my-token/),
  });
});

it("answers methods other than GET, POST and OPTIONS with 405 and what is allowed (TRACE was a 500)", async () => {
  for (const method of ["TRACE", "PUT", "DELETE", "PATCH"]) {
    // node:http, since fetch refuses to send TRACE at all.
    const { status, allow, body } = await new Promise<{ status: number; allow: unknown; body: string }>(
      (resolve, reject) => {
        const req = request(`${tower.url}/trpc/auth.me`, { method }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (text += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body: text }));
        });
        req.on("error", reject);
        req.end();
      },
    );
    expect(status, method).toBe(405);
    expect(allow).toBe("GET, POST, OPTIONS");
    expect((JSON.parse(body) as { error: { message: string } }).error.message).toBe(
      `${method} is not supported; call with GET or POST`,
    );
  }
});
