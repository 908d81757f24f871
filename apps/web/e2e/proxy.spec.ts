import { once } from "node:events";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { createProxy } from "../src/server/proxy";

// The dashboard's web server without a browser: the /trpc proxy on its own when the API is down, and
// the running server's answers to upgrades and request targets Next.js should never see.

async function listen(server: http.Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

test("an unreachable API is a 502 that names no address, port or error code", async () => {
  // A port nothing listens on: asked of the OS, then released.
  const probe = http.createServer();
  const deadPort = await listen(probe);
  probe.close();
  await once(probe, "close");

  const proxy = createProxy(`http://127.0.0.1:${deadPort}`);
  const server = http.createServer((req, res) => proxy.web(req, res));
  const port = await listen(server);
  try {
    const response = await fetch(`http://127.0.0.1:${port}/trpc/agent.list`);
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: { message: "The Tower API server is unreachable; try again in a moment" },
    });
    expect(text).not.toContain("ECONNREFUSED");
    expect(text).not.toContain(String(deadPort));
  } finally {
    server.close();
  }
});

/** Sends `request` as raw bytes to the dashboard's web server; resolves with all it answered once it closes. */
async function raw(baseURL: string | undefined, request: string): Promise<string> {
  const { hostname, port } = new URL(baseURL!);
  const socket = net.connect(Number(port), hostname);
  socket.setEncoding("utf8");
  let answer = "";
  socket.on("data", (chunk: string) => (answer += chunk));
  socket.write(request);
  await Promise.race([once(socket, "close"), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  socket.destroy();
  return answer;
}

test("a WebSocket upgrade to anything but /trpc is refused and its socket closed (each one stayed open for good)", async ({
  baseURL,
}) => {
  const answer = await raw(
    baseURL,
    "GET /other HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
  );
  expect(answer).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
});

test("a request target that is not a path, or a path with a malformed escape, is a 400 with the security headers", async ({
  baseURL,
}) => {
  for (const target of ["*", "http://elsewhere.example/login", "/approve/%ff%fe", "/work/runs/%E0"]) {
    const answer = await raw(baseURL, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(answer, target).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toMatch(/\r\nx-frame-options: DENY\r\n/i);
    expect(answer).toMatch(/\r\nx-content-type-options: nosniff\r\n/i);
    expect(answer).toMatch(/\r\ncontent-security-policy: default-src 'self'/i);
    expect(answer).not.toMatch(/\r\nlocation:/i);
  }
});
