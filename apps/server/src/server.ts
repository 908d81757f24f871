import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { appRouter, bulkTurn, createContext, rawReportsReader, type Deps } from "@tower/api";
import { LIMITS, REPORT_ITEMS_HEADER } from "@tower/shared";
import { TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { pinoHttp } from "pino-http";
import { WebSocketServer } from "ws";
import { NO_TRUSTED_PROXIES, type ProxyTrust } from "@tower/shared/node";
import { isCrossOriginBrowserRequest, isOriginAllowed } from "./origin";
import { answerPreflight, applyCorsHeaders, isPreflight } from "./cors";
import { CLAUDE_CODE_HOOK_PREFIX, createClaudeCodeHooks } from "./claude-code-hook";
import { createFastCallHandler } from "./fast-call";
import { headersForLog, urlForLog } from "./logger";
import { credentialsFrom, SESSION_COOKIE, sessionCookieFor, type SecureCookies } from "./session-cookie";
import { createCredentialSockets, NO_CONNECTION_PARAMS_CLOSE } from "./credential-sockets";
import { TextWebSocket, wsEncoder } from "./ws-encoder";
import { outboxOf } from "./ws-outbox";

export interface ServerOptions {
  allowedOrigins: readonly string[];
  secureCookies: SecureCookies;
  /** Proxies whose X-Forwarded-* headers are believed (the client's address, HTTPS); default none. */
  trustedProxies?: ProxyTrust;
  /** WebSockets one API key or session may hold open at once; `LIMITS.wsSocketsPerCredential` by default. */
  socketsPerCredential?: number;
  /**
   * Plain JSON queries and mutations answered by Tower's fast path (fast-call.ts) ahead of tRPC's
   * adapter; true by default. Performance only, both give the same answers: `pnpm bench` turns it
   * off (TOWER_BENCH_NO_FAST_CALL) to measure what it gains, see docs/decisions/fast-call.md.
   */
  fastCall?: boolean;
  /**
   * How long a WebSocket opened with `?connectionParams=1` may stay open without sending them (it
   * has no credential until then, so no cap counts it); 10 s by default.
   */
  connectionParamsGraceMs?: number;
}

export interface TowerServer {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting, asks WebSocket clients to reconnect elsewhere, and waits for requests in flight. */
  close(): Promise<void>;
  readonly connections: () => number;
  /** Claude Code hook requests waiting for an approver right now. */
  readonly hookWaits: () => number;
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

/** A refusal decided before tRPC sees the request, in tRPC's error shape so clients read it alike. */
function sendError(res: ServerResponse, code: TRPC_ERROR_CODE_KEY, message: string) {
  const httpStatus = getHTTPStatusCodeFromError(new TRPCError({ code, message }));
  sendJson(res, httpStatus, { error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus } } });
}

/** Whether every percent-escape of the URL's path decodes (tRPC's adapter throws a URIError otherwise). */
function hasDecodablePath(url: string): boolean {
  try {
    decodeURIComponent(url.split("?")[0]!);
    return true;
  } catch {
    return false;
  }
}

/** ws reports a peer's protocol violation (bad UTF-8, oversized frame, …) as an error with a WS_ERR_ code. */
function isClientFrameError(error: TRPCError): boolean {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("WS_ERR_");
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
    serializers: {
      req: (req: { url?: string; headers?: Record<string, unknown> }) => ({
        ...req,
        url: urlForLog(req.url),
        headers: headersForLog(req.headers),
      }),
    },
    // Successful calls are routine; problems are what an operator needs to see.
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "debug",
  });

  const trust = { secureCookies: options.secureCookies, proxies: options.trustedProxies ?? NO_TRUSTED_PROXIES };
  const httpContext = ({ req, res }: { req: IncomingMessage; res: ServerResponse }) =>
    createContext(
      deps,
      credentialsFrom(req, undefined, trust),
      sessionCookieFor(req, res, trust.secureCookies, trust.proxies),
    );
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

  // Plain JSON queries and mutations skip the adapter's Fetch conversion (fast-call.ts).
  const fastCall =
    options.fastCall === false
      ? undefined
      : createFastCallHandler({
          router: appRouter,
          basePath: "/trpc/",
          maxBodySize: LIMITS.requestBodyBytes,
          maxBatchSize: LIMITS.batchSize,
          createContext: httpContext,
          onError: onProcedureError,
          largeBodyTurn: () => bulkTurn(deps.state.bulkLane),
          // Report batches that say how many items they hold go to the ingest writer unparsed.
          rawBody: (path, req) =>
            path === "ingest.report" ? rawReportsReader(req.headers[REPORT_ITEMS_HEADER]) : undefined,
        });

  const claudeCodeHooks = createClaudeCodeHooks(deps, trust);

  function readiness(): { ok: boolean; checks: Record<string, string> } {
    const checks: Record<string, string> = {};
    try {
      deps.db.$client.prepare("select 1").get();
      checks.database = "ok";
    } catch (error) {
      // The reason goes to the log only: /readyz answers anyone, and the message can name paths.
      deps.logger.error({ err: error }, "readiness: database check failed");
      checks.database = "failing";
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
    // Claude Code's hooks: called by the CLI with an API key, never by a page (no CORS answered).
    if (url.startsWith(CLAUDE_CODE_HOOK_PREFIX)) {
      if (!isOriginAllowed(req, options.allowedOrigins)) {
        return sendError(res, "FORBIDDEN", "This origin is not allowed; add it to TOWER_ALLOWED_ORIGINS");
      }
      return claudeCodeHooks.handle(req, res);
    }
    // Apps on allowed origins call the API from their pages with an API key (see cors.ts).
    applyCorsHeaders(req, res, options.allowedOrigins);
    if (!url.startsWith("/trpc/"))
      return sendError(res, "NOT_FOUND", `No route for ${req.method} ${url.split("?")[0]}`);
    // tRPC reads GET and POST (and a preflight, below); its adapter fails on TRACE with a 500.
    if (req.method !== "GET" && req.method !== "POST" && req.method !== "OPTIONS") {
      res.setHeader("Allow", "GET, POST, OPTIONS");
      return sendError(res, "METHOD_NOT_SUPPORTED", `${req.method} is not supported; call with GET or POST`);
    }
    // Refused origins fall through to the 403 below, with no CORS headers: their call is never sent.
    if (isPreflight(req) && isOriginAllowed(req, options.allowedOrigins)) return answerPreflight(res);
    if (!hasDecodablePath(url)) {
      return sendError(res, "BAD_REQUEST", "The URL path has a malformed percent-escape (such as %ZZ)");
    }
    if (!isOriginAllowed(req, options.allowedOrigins)) {
      return sendError(res, "FORBIDDEN", "This origin is not allowed; add it to TOWER_ALLOWED_ORIGINS");
    }
    if (!fastCall) return void trpcHandler(req, res);
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
  // An idle keep-alive connection is closed after this long: longer than the 60 s that proxies and
  // clients commonly keep one, so they close first, rather than this server closing one as they
  // send on it (a reset; Node's default is 5 s).
  server.keepAliveTimeout = 65_000;

  const credentialSockets = createCredentialSockets(options.socketsPerCredential ?? LIMITS.wsSocketsPerCredential);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: LIMITS.wsMessageBytes,
    WebSocket: TextWebSocket,
    // Each message in its own turn of the event loop: a client that sends many at once waits its
    // turn behind every other connection instead of holding the loop.
    allowSynchronousEvents: false,
  });
  wss.on("connection", (socket, req: IncomingMessage) => {
    socket.once("slow-consumer", (unread: number) => {
      deps.logger.warn({ unread }, "websocket client cut off: it stopped reading what it is sent");
    });
    if (!/[?&]connectionParams=1(&|$)/.test(req.url ?? "")) return;
    const graceMs = options.connectionParamsGraceMs ?? 10_000;
    const timer = setTimeout(() => {
      if (credentialSockets.admitted(socket) || socket.readyState !== socket.OPEN) return;
      socket.close(NO_CONNECTION_PARAMS_CLOSE, `No connection parameters within ${graceMs / 1000} s`);
    }, graceMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: ({ req, res, info }) => {
      const credentials = credentialsFrom(req, info.connectionParams?.apiKey, trust);
      const ctx = createContext(deps, credentials, undefined, { longLived: true, outbox: outboxOf(res) });
      if (!credentialSockets.admit(ctx.caller, res, credentials.clientAddress)) {
        deps.logger.warn({ caller: ctx.caller.kind }, "websocket refused: too many open with one credential");
        throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: "Too many connections with this credential" });
      }
      return ctx;
    },
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
    experimental_encoder: wsEncoder,
    onError: ({ error, path }) => {
      // A misbehaving client is worth a warning; ws has already closed its socket with the reason.
      if (isClientFrameError(error)) deps.logger.warn({ err: error.cause }, "client sent an invalid WebSocket frame");
      else if (error.code === "INTERNAL_SERVER_ERROR")
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
    if (req.headers.cookie?.includes(`${SESSION_COOKIE}=`) && isCrossOriginBrowserRequest(req, trust.proxies)) {
      // Said once per socket: if this is the dashboard's, a proxy in front rewrites Host (see origin.ts).
      deps.logger.info(
        { origin: req.headers.origin, host: req.headers.host },
        "websocket from another origin than the host it reached: its session cookie is ignored, only an API key counts",
      );
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
      // Hooks waiting for an approver are answered now ("deny", try again); the approval stays pending.
      claudeCodeHooks.abortAll();
      wsHandler.broadcastReconnectNotification();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const client of wss.clients) client.close(1012, "server restarting");
      wss.close();
      await closed;
    },
    connections: () => wss.clients.size,
    hookWaits: () => claudeCodeHooks.waiting(),
  };
}
