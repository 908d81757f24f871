import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { callerFor, TEST_SETUP_CODE } from "@tower/api/testing";
import NodeWebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness";
import { freePort, startServerProcess } from "./reliability/server-process";

const PASSWORD = "correct horse battery";

async function post(url: string, procedure: string, input: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(input),
  });
}

/** The status a WebSocket upgrade with these headers gets (101 when it opens). */
function upgradeStatus(port: number, headers: Record<string, string>) {
  return new Promise<number>((resolve) => {
    const socket = new NodeWebSocket(`ws://127.0.0.1:${port}/trpc`, { headers });
    socket.on("open", () => {
      socket.close();
      resolve(101);
    });
    socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    socket.on("error", () => resolve(-1));
  });
}

describe("with no trusted proxy (the default)", () => {
  let tower: TestServer;
  beforeAll(async () => {
    tower = await startTestServer();
  });
  afterAll(async () => {
    await tower.stop();
  });

  it("allows only configured origins, never one that merely matches the Host header (DNS rebinding)", async () => {
    // A rebinding page at evil.test, now resolving to this server: its Origin and Host agree.
    const rebound = { origin: `http://evil.test:${tower.port}`, host: `evil.test:${tower.port}` };
    expect((await post(tower.url, "auth.logIn", { email: "a@b.test", password: "x" }, rebound)).status).toBe(403);
    expect(await upgradeStatus(tower.port, rebound)).toBe(403);
    const self = { origin: tower.url };
    expect((await fetch(`${tower.url}/trpc/auth.me`, { headers: self })).status).toBe(403);
    expect(await upgradeStatus(tower.port, self)).toBe(403);
    expect((await fetch(`${tower.url}/trpc/auth.me`, { headers: { origin: "http://dashboard.test" } })).status).toBe(
      200,
    );
    expect(await upgradeStatus(tower.port, { origin: "http://dashboard.test" })).toBe(101);
  });

  it("ignores X-Forwarded-For: a client cannot pick the address its failed sign-ins count against", async () => {
    const invite = await tower.owner.invite.create({ projectId: tower.projectId, role: "viewer" });
    await callerFor(tower.deps).auth.signUp({
      email: "guessed@example.com",
      name: "Guessed",
      password: PASSWORD,
      inviteToken: invite.token,
    });
    const attempt = (i: number) =>
      post(
        tower.url,
        "auth.logIn",
        { email: "guessed@example.com", password: `wrong ${i}` },
        { "x-forwarded-for": `198.51.100.${i}` },
      );
    for (let i = 0; i < 10; i++) expect((await attempt(i)).status).toBe(401);
    expect((await attempt(10)).status).toBe(429);
    // The audit trail has the socket's address, not the forged ones.
    const rows = await tower.owner.audit.list({ projectId: tower.projectId, operation: "auth.logIn" });
    expect(new Set(rows.items.filter((r) => r.decision === "denied").map((r) => r.detail.address))).toEqual(
      new Set(["127.0.0.1"]),
    );
  });

  it("ignores X-Forwarded-Proto: the cookie is Secure only when the server knows the request was HTTPS", async () => {
    const response = await post(
      tower.url,
      "auth.logIn",
      { email: "owner@example.com", password: PASSWORD },
      { "x-forwarded-proto": "https" },
    );
    expect(response.status).toBe(200);
    const setCookie = response.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^tower_session=[\w-]+;/);
    expect(setCookie).not.toMatch(/Secure/);
  });

  it("takes the invite token only in a POST body, never in a GET URL", async () => {
    const invite = await tower.owner.invite.create({ projectId: tower.projectId, role: "viewer" });
    const input = encodeURIComponent(JSON.stringify({ token: invite.token }));
    const viaGet = await fetch(`${tower.url}/trpc/invite.preview?input=${input}`);
    expect(viaGet.status).toBe(405);
    const viaPost = await post(tower.url, "invite.preview", { token: invite.token });
    expect(viaPost.status).toBe(200);
    expect(((await viaPost.json()) as { result: { data: { role: string } } }).result.data.role).toBe("viewer");
  });
});

describe("behind a trusted proxy", () => {
  let tower: TestServer;
  beforeAll(async () => {
    // The test's requests come from loopback: they play the proxy.
    tower = await startTestServer({ trustedProxies: ["loopback"] });
  });
  afterAll(async () => {
    await tower.stop();
  });

  it("counts failures by the forwarded client address, so an attacker locks out only themselves", async () => {
    const from = (address: string, password: string) =>
      post(tower.url, "auth.logIn", { email: "owner@example.com", password }, { "x-forwarded-for": address });
    for (let i = 0; i < 10; i++) expect((await from("203.0.113.66", `guess ${i}`)).status).toBe(401);
    expect((await from("203.0.113.66", PASSWORD)).status).toBe(429);
    // A client the proxy forwards from elsewhere signs in; a hop forged on the left changes nothing.
    expect((await from("1.2.3.4, 198.51.100.7", PASSWORD)).status).toBe(200);
    const rows = await tower.owner.audit.list({ projectId: tower.projectId, operation: "auth.logIn" });
    expect(rows.items[0]).toMatchObject({ decision: "allowed", detail: { address: "198.51.100.7" } });
    expect(rows.items[1]).toMatchObject({ decision: "denied", detail: { address: "203.0.113.66" } });
  });

  it("sets a __Host- cookie when the proxy says the browser used HTTPS, and reads only that name back", async () => {
    const https = { "x-forwarded-proto": "https" };
    const response = await post(tower.url, "auth.logIn", { email: "owner@example.com", password: PASSWORD }, https);
    expect(response.status).toBe(200);
    const setCookie = response.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^__Host-tower_session=[\w-]+;/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).toMatch(/Secure/);
    expect(setCookie).not.toMatch(/Domain=/i);
    const token = /^__Host-tower_session=([\w-]+);/.exec(setCookie)![1]!;
    const me = (cookie: string, headers: Record<string, string>) =>
      fetch(`${tower.url}/trpc/auth.me`, { headers: { cookie, ...headers } })
        .then((r) => r.json() as Promise<{ result: { data: { user: { email: string } | null } } }>)
        .then((body) => body.result.data.user?.email ?? null);
    expect(await me(`__Host-tower_session=${token}`, https)).toBe("owner@example.com");
    // Over HTTPS, a plain-named cookie (one a plain-HTTP page could have planted) is not read.
    expect(await me(`tower_session=${token}`, https)).toBeNull();
    // Over plain HTTP the plain name is used, as before.
    const plain = await post(tower.url, "auth.logIn", { email: "owner@example.com", password: PASSWORD });
    expect(plain.headers.get("set-cookie")).toMatch(/^tower_session=[\w-]+;/);
    expect(plain.headers.get("set-cookie")).not.toMatch(/Secure/);
  });
});

describe("a fresh install", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const startFresh = async (extraEnv: Record<string, string> = {}) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-setup-"));
    dirs.push(dir);
    return startServerProcess(path.join(dir, "tower.sqlite"), await freePort(), {
      TOWER_ALLOWED_ORIGINS: "",
      ...extraEnv,
    });
  };
  const signUp = (url: string, setupCode?: string) =>
    post(url, "auth.signUp", { email: "first@example.com", name: "First", password: PASSWORD, setupCode });

  it("prints a one-time setup code at start, and only that code claims it", async () => {
    const server = await startFresh();
    try {
      // Logged just after the server listens: the pipe may bring it after /readyz answered.
      const setupCode = /setup code ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})/;
      await expect.poll(() => server.output()).toMatch(setupCode);
      const printed = setupCode.exec(server.output());
      expect((await signUp(server.url)).status).toBe(403);
      expect((await signUp(server.url, "WRONG-CODE-0000-0000")).status).toBe(403);
      expect((await signUp(server.url, printed![1])).status).toBe(200);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });

  it("takes a preset code from TOWER_SETUP_CODE", async () => {
    const server = await startFresh({ TOWER_SETUP_CODE: TEST_SETUP_CODE });
    try {
      await expect.poll(() => server.output()).toContain(`setup code ${TEST_SETUP_CODE}`);
      expect((await signUp(server.url, TEST_SETUP_CODE)).status).toBe(200);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });
});
