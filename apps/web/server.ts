// Production (and dev) server: Next.js for pages, a hand-written proxy for `/trpc` (HTTP and
// WebSocket) so the browser talks to one origin and the session cookie just works.
import http from "node:http";
import path from "node:path";
import next from "next";
import { stopWithParent } from "@tower/shared/node";
import { loadEnv } from "./src/server/env";
import { createProxy } from "./src/server/proxy";
import { requestTargetProblem } from "./src/server/request-target";
import { applySecurityHeaders } from "./src/server/security-headers";

const env = loadEnv();
const dev = env.NODE_ENV !== "production";
// The app folder (next.config.ts, .next/): this file's under tsx, the parent of dist/ when compiled.
const dir = import.meta.filename.endsWith(".ts") ? import.meta.dirname : path.dirname(import.meta.dirname);
const app = next({ dev, dir, hostname: env.HOST, port: env.PORT });
const proxy = createProxy(env.TOWER_SERVER_URL, env.TOWER_TRUSTED_PROXIES);

const isApi = (url: string | undefined) =>
  url === "/trpc" || Boolean(url?.startsWith("/trpc/") || url?.startsWith("/trpc?"));

await app.prepare();
const handle = app.getRequestHandler();
const handleUpgrade = app.getUpgradeHandler();

const server = http.createServer((req, res) => {
  if (isApi(req.url)) return proxy.web(req, res);
  applySecurityHeaders(req, res, { dev, trust: env.TOWER_TRUSTED_PROXIES });
  const problem = requestTargetProblem(req.url);
  if (problem) {
    res.writeHead(400, {
      "Content-Type": "text/plain; charset=utf-8",
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
      "Referrer-Policy": "strict-origin-when-cross-origin",
    });
    return void res.end(problem);
  }
  void handle(req, res);
});

server.on("upgrade", (req, socket, head) => {
  if (isApi(req.url)) return proxy.upgrade(req, socket, head);
  // Next's development server takes its hot-reload socket; in production nothing else upgrades,
  // and Next leaves such a socket open unanswered (each one held a descriptor for good).
  if (dev) return void handleUpgrade(req, socket, head);
  socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
});

// A port in use (or not this user's to take) is the person's to fix: said plainly, not as a trace.
server.once("error", (error: NodeJS.ErrnoException) => {
  const fix =
    error.code === "EADDRINUSE"
      ? `port ${env.PORT} on ${env.HOST} is already in use: stop what listens there, or choose another port with PORT`
      : error.code === "EACCES"
        ? `this user may not listen on port ${env.PORT}: choose a port above 1023 with PORT`
        : null;
  if (!fix) throw error;
  process.stderr.write(`Tower web could not start: ${fix}\n`);
  process.exit(1);
});

server.listen(env.PORT, env.HOST, () => {
  const shown = env.HOST === "0.0.0.0" ? "localhost" : env.HOST;
  console.log(
    `Tower web ready on http://${shown}:${env.PORT} (${dev ? "dev" : "production"}; API ${env.TOWER_SERVER_URL})`,
  );
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 3_000).unref();
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
stopWithParent();
