import { createTowerClient } from "@tower/sdk";
import NodeWebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PREFLIGHT_MAX_AGE_SECONDS } from "../src/cors";
import { startTestServer, type TestServer } from "./harness";

// Browser apps on other origins (issue 13): CORS for the origins in TOWER_ALLOWED_ORIGINS (the
// harness allows http://dashboard.test), nothing for any other, and never credentials.

const ALLOWED = "http://dashboard.test";
const FOREIGN = "http://elsewhere.test";

let tower: TestServer;
beforeAll(async () => {
  tower = await startTestServer();
});
afterAll(async () => {
  await tower.stop();
});

function corsHeadersOf(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => name.startsWith("access-control-")));
}

function preflight(origin: string, method: string, headers: string) {
  return fetch(`${tower.url}/trpc/agent.create`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
  });
}

/** Splits a Vary header into its lower-cased field names. */
const varyOf = (response: Response) =>
  (response.headers.get("vary") ?? "")
    .split(",")
    .map((field) => field.trim().toLowerCase())
    .filter(Boolean);

describe("preflight", () => {
  it("from an allowed origin: 204 naming the origin, GET and POST, the tRPC client's headers, a max age", async () => {
    const response = await preflight(ALLOWED, "POST", "authorization,content-type");
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    const methods = response.headers.get("access-control-allow-methods")!.split(/,\s*/);
    expect(methods).toEqual(["GET", "POST"]);
    const headers = response.headers.get("access-control-allow-headers")!.split(/,\s*/);
    // The SDK sends the item count of its report batches (REPORT_ITEMS_HEADER) beside its key.
    expect(headers).toEqual(
      expect.arrayContaining(["authorization", "content-type", "trpc-accept", "x-api-key", "x-tower-report-items"]),
    );
    expect(response.headers.get("access-control-max-age")).toBe(String(PREFLIGHT_MAX_AGE_SECONDS));
    expect(varyOf(response)).toContain("origin");
    // Keys travel in a header; cookies never cross origins (see src/cors.ts).
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("from another origin: refused with tRPC's error shape and no CORS headers", async () => {
    const response = await preflight(FOREIGN, "GET", "authorization");
    expect(response.status).toBe(403);
    expect(corsHeadersOf(response)).toEqual({});
    const body = (await response.json()) as { error: { data: { code: string }; message: string } };
    expect(body.error.data.code).toBe("FORBIDDEN");
    expect(body.error.message).toMatch(/TOWER_ALLOWED_ORIGINS/);
    expect(varyOf(response)).toContain("origin");
  });
});

describe("calls", () => {
  const withKey = () => ({ authorization: `Bearer ${tower.apiKey}` });

  it("a query and a mutation from an allowed origin name it, vary by it, and allow no credentials", async () => {
    const query = await fetch(`${tower.url}/trpc/agent.list?input=${encodeURIComponent("{}")}`, {
      headers: { origin: ALLOWED, ...withKey() },
    });
    expect(query.status).toBe(200);
    const mutation = await fetch(`${tower.url}/trpc/agent.create`, {
      method: "POST",
      headers: { origin: ALLOWED, "content-type": "application/json", ...withKey() },
      body: JSON.stringify({ name: "cors-agent", role: "coder" }),
    });
    expect(mutation.status).toBe(200);
    // A batch asking for a stream (httpBatchStreamLink) is answered by tRPC's adapter, not the fast path.
    const streamed = await fetch(`${tower.url}/trpc/agent.list?batch=1&input=${encodeURIComponent('{"0":{}}')}`, {
      headers: { origin: ALLOWED, "trpc-accept": "application/jsonl", ...withKey() },
    });
    expect(streamed.status).toBe(200);
    // An error must be readable too, or the page could not tell a bad key from a network failure.
    const unauthorized = await fetch(`${tower.url}/trpc/agent.list?input=${encodeURIComponent("{}")}`, {
      headers: { origin: ALLOWED },
    });
    expect(unauthorized.status).toBe(401);

    for (const response of [query, mutation, streamed, unauthorized]) {
      expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
      expect(response.headers.get("access-control-expose-headers")).toBe("X-Request-Id");
      // tRPC's own Vary stays, with Origin kept beside it.
      expect(varyOf(response)).toEqual(expect.arrayContaining(["origin", "trpc-accept", "accept"]));
      // CORS is not CORP: the same-site resource policy stays for no-cors loads.
      expect(response.headers.get("cross-origin-resource-policy")).toBe("same-site");
    }
  });

  it("from another origin: refused, nothing it could read", async () => {
    const response = await fetch(`${tower.url}/trpc/agent.list?input=${encodeURIComponent("{}")}`, {
      headers: { origin: FOREIGN, ...withKey() },
    });
    expect(response.status).toBe(403);
    expect(corsHeadersOf(response)).toEqual({});
  });

  it("without an Origin (the SDK in Node, curl): no CORS headers at all", async () => {
    const query = await fetch(`${tower.url}/trpc/agent.list?input=${encodeURIComponent("{}")}`, { headers: withKey() });
    expect(query.status).toBe(200);
    expect(corsHeadersOf(query)).toEqual({});
    // And an OPTIONS without Origin is no preflight: tRPC answers it as before.
    const options = await fetch(`${tower.url}/trpc/agent.list`, { method: "OPTIONS" });
    expect(options.status).not.toBe(204);
    expect(corsHeadersOf(options)).toEqual({});
  });

  it("/healthz and /readyz stay as they are: no CORS", async () => {
    for (const url of ["/healthz", "/readyz"]) {
      const response = await fetch(`${tower.url}${url}`, { headers: { origin: ALLOWED } });
      expect(response.status).toBe(200);
      expect(corsHeadersOf(response)).toEqual({});
    }
  });
});

describe("the session cookie on a cross-origin browser request", () => {
  let cookie: string;
  beforeAll(async () => {
    const response = await fetch(`${tower.url}/trpc/auth.logIn`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "owner@example.com", password: "correct horse battery" }),
    });
    cookie = response.headers.get("set-cookie")!.split(";")[0]!;
  });

  const me = async (headers: Record<string, string>) => {
    const response = await fetch(`${tower.url}/trpc/auth.me`, { headers: { cookie, ...headers } });
    const body = (await response.json()) as { result: { data: { user: { email: string } | null } } };
    return body.result.data.user?.email ?? null;
  };

  it("counts over HTTP only from the dashboard's own origin (through its proxy) or a non-browser", async () => {
    expect(await me({})).toBe("owner@example.com");
    expect(await me({ origin: ALLOWED, "sec-fetch-site": "same-origin" })).toBe("owner@example.com");
    // A page on an allowed origin beside the dashboard (another port): the browser sends the cookie along.
    expect(await me({ origin: ALLOWED, "sec-fetch-site": "same-site" })).toBeNull();
    expect(await me({ origin: ALLOWED, "sec-fetch-site": "cross-site" })).toBeNull();
  });

  /** A WebSocket opened with these handshake headers, as a browser would send them. */
  const socketWith = (headers: Record<string, string>) =>
    class extends NodeWebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { headers });
      }
    } as unknown as typeof globalThis.WebSocket;

  /** What subscribing to the project's agent changes over such a socket gets: started, or the error code. */
  async function subscribeWith(server: TestServer, headers: Record<string, string>, apiKey?: string) {
    const client = createTowerClient({ url: server.url, apiKey, WebSocket: socketWith(headers) });
    const outcome = await new Promise<string>((resolve) => {
      client.api.agent.onChange.subscribe(
        { projectId: server.projectId, lastEventId: null },
        { onStarted: () => resolve("started"), onError: (error) => resolve(error.data?.code ?? error.message) },
      );
    });
    client.close();
    return outcome;
  }

  it("never counts on a WebSocket from another origin's page, which must bring an API key", async () => {
    // Chromium sends no Sec-Fetch-* on a handshake: the page's origin names another host than the
    // one it connected to (here 127.0.0.1:<port>), as for a page beside the dashboard on another port.
    expect(await subscribeWith(tower, { origin: ALLOWED, cookie })).toBe("UNAUTHORIZED");
    // Firefox says so outright.
    expect(await subscribeWith(tower, { origin: ALLOWED, cookie, "sec-fetch-site": "same-site" })).toBe("UNAUTHORIZED");
    // An X-Forwarded-Host from a peer that is no trusted proxy is not believed.
    const forged = { origin: ALLOWED, cookie, "x-forwarded-host": "dashboard.test" };
    expect(await subscribeWith(tower, forged)).toBe("UNAUTHORIZED");
    // The same page with a key in the connection parameters is in.
    expect(await subscribeWith(tower, { origin: ALLOWED, cookie }, tower.apiKey)).toBe("started");
  });

  it("counts on the dashboard's own WebSocket, whose origin names the host it reached", async () => {
    // Through the dashboard's proxy, which passes the browser's Host on.
    expect(await subscribeWith(tower, { origin: ALLOWED, cookie, host: "dashboard.test" })).toBe("started");
    // A browser that sends Sec-Fetch-Site (Firefox) is believed over Host, which a proxy in front may rewrite.
    expect(await subscribeWith(tower, { origin: ALLOWED, cookie, "sec-fetch-site": "same-origin" })).toBe("started");
  });

  it("counts when a trusted proxy names the host the browser reached in X-Forwarded-Host", async () => {
    const proxied = await startTestServer({ trustedProxies: ["loopback"] });
    try {
      const login = await fetch(`${proxied.url}/trpc/auth.logIn`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "owner@example.com", password: "correct horse battery" }),
      });
      const proxiedCookie = login.headers.get("set-cookie")!.split(";")[0]!;
      const headers = { origin: ALLOWED, cookie: proxiedCookie };
      expect(await subscribeWith(proxied, { ...headers, "x-forwarded-host": "dashboard.test" })).toBe("started");
      expect(await subscribeWith(proxied, { ...headers, "x-forwarded-host": "elsewhere.test" })).toBe("UNAUTHORIZED");
    } finally {
      await proxied.stop();
    }
  });
});
