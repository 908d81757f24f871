import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";

/** Host and Origin pass through unchanged (the API's same-origin check sees the browser's origin). */
function forwardedHeaders(req: IncomingMessage): IncomingHttpHeaders {
  const remote = req.socket.remoteAddress ?? "";
  const prior = req.headers["x-forwarded-for"];
  return {
    ...req.headers,
    "x-forwarded-for": prior ? `${String(prior)}, ${remote}` : remote,
    // A TLS terminator in front of Tower has already said what the browser used; keep its word.
    "x-forwarded-proto":
      req.headers["x-forwarded-proto"] ?? ("encrypted" in req.socket && req.socket.encrypted ? "https" : "http"),
    "x-forwarded-host": req.headers["x-forwarded-host"] ?? req.headers.host ?? "",
  };
}

export function createProxy(target: string) {
  const url = new URL(target);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const hostname = url.hostname;

  /** Plain HTTP: stream the request up and the response down. */
  function web(req: IncomingMessage, res: ServerResponse) {
    const upstream = http.request(
      { hostname, port, method: req.method, path: req.url, headers: forwardedHeaders(req) },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.rawHeaders);
        upRes.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      if (res.headersSent) return void res.destroy(error);
      res.writeHead(502, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end(JSON.stringify({ error: { message: `The Tower API server is unreachable (${error.message})` } }));
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
      for (const [name, value] of Object.entries(forwardedHeaders(req))) {
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
