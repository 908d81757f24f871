import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { createProxy } from "../src/server/proxy";

// The dashboard's /trpc proxy on its own (no browser): what it answers when the API is down.

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
