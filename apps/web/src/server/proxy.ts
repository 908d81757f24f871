import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { isHttpsRequest, normalizeAddress, NO_TRUSTED_PROXIES, type ProxyTrust } from "@tower/shared/node";

/**
 * Host and Origin pass through unchanged (the API checks the browser's origin against its allowed
 * list). X-Forwarded-* say who the client is and whether it used HTTPS: what arrived with the
 * request is passed on only from a trusted proxy (TOWER_TRUSTED_PROXIES), else replaced by what
 * this server saw, so a browser cannot pick the address its sign-ins count against.
 */
function forwardedHeaders(req: IncomingMessage, trust: ProxyTrust): IncomingHttpHeaders {
  const remote = normalizeAddress(req.socket.remoteAddress) ?? "";
  const fromProxy = trust.isTrusted(req.socket.remoteAddress ?? "");
  const prior = fromProxy ? req.headers["x-forwarded-for"] : undefined;
  return {
    ...req.headers,
    "x-forwarded-for": prior ? `${String(prior)}, ${remote}` : remote,
    "x-forwarded-proto": isHttpsRequest(req, trust) ? "https" : "http",
    "x-forwarded-host": (fromProxy ? req.headers["x-forwarded-host"] : undefined) ?? req.headers.host ?? "",
  };
}

export function createProxy(target: string, trust: ProxyTrust = NO_TRUSTED_PROXIES) {
  const url = new URL(target);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const hostname = url.hostname;

  /** Plain HTTP: stream the request up and the response down. */
  function web(req: IncomingMessage, res: ServerResponse) {
    const upstream = http.request(
      { hostname, port, method: req.method, path: req.url, headers: forwardedHeaders(req, trust) },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.rawHeaders);
        upRes.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      if (res.headersSent) return void res.destroy(error);
      // The cause (an address, a port, an error code) is for the operator's log, not the browser.
      console.error(`tower web: the API server at ${target} failed a request: ${error.message}`);
      res.writeHead(502, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end(JSON.stringify({ error: { message: "The Tower API server is unreachable; try again in a moment" } }));
    });
    req.on("aborted", () => upstream.destroy());
    req.pipe(upstream);
  }

  /** WebSocket upgrade: replay the handshake over a raw TCP socket, then splice both ways. */
  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const upstream = net.connect(port, hostname);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => {
      if (socket.writable && upstream.bytesRead === 0) {
        socket.end("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      } else socket.destroy();
    });
    upstream.on("connect", () => {
      const lines = [`${req.method ?? "GET"} ${req.url ?? "/"} HTTP/1.1`];
      for (const [name, value] of Object.entries(forwardedHeaders(req, trust))) {
        if (value === undefined) continue;
        for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${item}`);
      }
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("close", () => socket.destroy());
    socket.on("close", () => upstream.destroy());
  }

  return { web, upgrade };
}
