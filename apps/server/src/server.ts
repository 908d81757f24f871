import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { appRouter, createContext, type Deps } from "@tower/api";
import { LIMITS } from "@tower/shared";
import type { TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { pinoHttp } from "pino-http";
import { WebSocketServer } from "ws";
import { isOriginAllowed } from "./origin";
import { createFastCallHandler } from "./fast-call";
import { credentialsFrom, sessionCookieFor, type SecureCookies } from "./session-cookie";
import { TextWebSocket, wsEncoder } from "./ws-encoder";

export interface ServerOptions {
  allowedOrigins: readonly string[];
  secureCookies: SecureCookies;
}

export interface TowerServer {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting, asks WebSocket clients to reconnect elsewhere, and waits for requests in flight. */
  close(): Promise<void>;
  readonly connections: () => number;
}

const SECURITY_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-site",
  "Cache-Control": "no-store",
};

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

export function createTowerServer(deps: Deps, options: ServerOptions): TowerServer {
  let shuttingDown = false;
  const logHttp = pinoHttp({
    logger: deps.logger,
    genReqId: (req, res) => {
      const incoming = req.headers["x-request-id"];
      const id = typeof incoming === "string" && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
      res.setHeader("X-Request-Id", id);
      return id;
    },
    // Successful calls are routine; problems are what an operator needs to see.
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "debug",
  });

  const httpContext = ({ req, res }: { req: IncomingMessage; res: ServerResponse }) =>
    createContext(deps, credentialsFrom(req), sessionCookieFor(req, res, options.secureCookies));
  const onProcedureError = ({ error, path }: { error: TRPCError; path: string | undefined }) => {
    if (error.code === "INTERNAL_SERVER_ERROR")
      deps.logger.error({ err: error.cause ?? error, path }, "procedure failed");
  };

  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: LIMITS.requestBodyBytes,
    maxBatchSize: LIMITS.batchSize,
    createContext: httpContext,
    onError: onProcedureError,
  });

  const fastCall = createFastCallHandler({
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: LIMITS.requestBodyBytes,
    maxBatchSize: LIMITS.batchSize,
    createContext: httpContext,
    onError: onProcedureError,
  });

  function readiness(): { ok: boolean; checks: Record<string, string> } {
    const checks: Record<string, string> = {};
    try {
      deps.db.$client.prepare("select 1").get();
      checks.database = "ok";
    } catch (error) {
      checks.database = `failing: ${(error as Error).message}`;
    }
    checks.server = shuttingDown ? "shutting down" : "ok";
    return { ok: Object.values(checks).every((value) => value === "ok"), checks };
  }

  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    // Draining: answer what arrived, but let no kept-alive connection carry another request, or a
    // busy client would hold the shutdown open for as long as it keeps sending.
    if (shuttingDown) res.setHeader("Connection", "close");
    const url = req.url ?? "/";
    if (url === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (url === "/readyz") {
      const ready = readiness();
      return sendJson(res, ready.ok ? 200 : 503, {
        status: ready.ok ? "ready" : "not ready",
        checks: ready.checks,
      });
    }
    logHttp(req, res);
    if (!url.startsWith("/trpc/"))
      return sendJson(res, 404, {
        error: { message: `No route for ${req.method} ${url.split("?")[0]}` },
      });
    if (!isOriginAllowed(req, options.allowedOrigins)) {
      return sendJson(res, 403, {
        error: { message: "This origin is not allowed; add it to TOWER_ALLOWED_ORIGINS" },
      });
    }
    void fastCall(req, res).then(
      (answered) => answered || trpcHandler(req, res),
      (error: unknown) => {
        deps.logger.error({ err: error }, "request failed");
        if (!res.headersSent) sendJson(res, 500, { error: { message: "Internal server error" } });
      },
    );
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: LIMITS.wsMessageBytes,
    WebSocket: TextWebSocket,
  });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: ({ req, info }) =>
      createContext(deps, credentialsFrom(req, info.connectionParams?.apiKey), undefined, { longLived: true }),
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
    experimental_encoder: wsEncoder,
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR")
        deps.logger.error({ err: error.cause ?? error, path }, "subscription failed");
    },
  });

  server.on("upgrade", (req, socket, head) => {
    const reject = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (shuttingDown) return reject(503, "Service Unavailable");
    if (!req.url?.startsWith("/trpc")) return reject(404, "Not Found");
    if (!isOriginAllowed(req, options.allowedOrigins)) {
      deps.logger.warn({ origin: req.headers.origin }, "websocket origin refused");
      return reject(403, "Forbidden");
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve(server.address() as AddressInfo));
      });
    },
    async close() {
      shuttingDown = true;
      wsHandler.broadcastReconnectNotification();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const client of wss.clients) client.close(1012, "server restarting");
      wss.close();
      await closed;
    },
    connections: () => wss.clients.size,
  };
}
