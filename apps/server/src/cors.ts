import type { IncomingMessage, ServerResponse } from "node:http";
import { REPORT_ITEMS_HEADER } from "@tower/shared";
import { isOriginAllowed } from "./origin";

/**
 * CORS for apps on other origins that call the API with an API key (the SDK's browser bundle, or
 * plain fetch). Only origins in TOWER_ALLOWED_ORIGINS are named in an answer; any other gets a 403
 * without CORS headers (server.ts), preflight included, so its page reads nothing, not even that.
 *
 * No `Access-Control-Allow-Credentials`, on purpose. Cross-origin callers authenticate with an API
 * key in a header, which needs no credentials mode. The session cookie belongs to the dashboard,
 * which talks to the API through its own same-origin proxy (apps/web/src/server/proxy.ts), so no
 * page of Tower's needs a credentialed cross-origin call. Allowing one would hand every allowed
 * origin (and any script injected into it) the signed-in operator's full role whenever a page
 * there asked with `credentials: "include"`, while the operator meant it to hold a read key. With
 * the header absent, a browser refuses to expose a credentialed answer and never sends a
 * credentialed request that needs a preflight; the server also ignores the cookie on any
 * cross-origin browser request (see `isCrossOriginBrowserRequest`), WebSockets included, where
 * CORS does not apply.
 */

/** What the tRPC client sends (httpBatchLink: `content-type` on POST; stream links: `trpc-accept`). */
const ALLOWED_HEADERS = [
  "authorization", // the SDK's `Bearer <key>`
  "x-api-key", // the other header a key may come in
  "content-type", // application/json on mutations
  "trpc-accept", // httpBatchStreamLink
  "x-trpc-source", // the name apps built on tRPC commonly give their client
  "x-request-id", // echoed on the answer and in the server's log
  REPORT_ITEMS_HEADER, // the SDK's item count on ingest.report (raw-reports.ts in @tower/api)
].join(", ");

/** Queries are GETs and mutations POSTs; subscriptions go over the WebSocket. */
const ALLOWED_METHODS = "GET, POST";

/** Two hours: Chromium's cap (Firefox allows a day), so a page preflights a given call rarely. */
export const PREFLIGHT_MAX_AGE_SECONDS = 7_200;

/**
 * Marks the answer as varying by Origin and, for an allowed origin, lets that origin read it (the
 * origin itself, never `*`). tRPC sets `Vary: trpc-accept, accept` later, replacing what is there,
 * so `Origin` is kept in whatever Vary this response is given afterwards.
 */
export function applyCorsHeaders(req: IncomingMessage, res: ServerResponse, allowedOrigins: readonly string[]) {
  keepVaryingByOrigin(res);
  const origin = req.headers.origin;
  if (!origin || !isOriginAllowed(req, allowedOrigins)) return;
  res.setHeader("Access-Control-Allow-Origin", origin);
  res.setHeader("Access-Control-Expose-Headers", "X-Request-Id");
}

/** A browser asking before a cross-origin call whether it may send it. */
export function isPreflight(req: IncomingMessage): boolean {
  return (
    req.method === "OPTIONS" && Boolean(req.headers.origin) && Boolean(req.headers["access-control-request-method"])
  );
}

/**
 * Answers a preflight from an allowed origin (`applyCorsHeaders` has named it): the methods and
 * headers a call may use. What the page asked for is not echoed back: the browser compares.
 */
export function answerPreflight(res: ServerResponse) {
  res.writeHead(204, {
    "Access-Control-Allow-Methods": ALLOWED_METHODS,
    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
    "Access-Control-Max-Age": String(PREFLIGHT_MAX_AGE_SECONDS),
  });
  res.end();
}

function keepVaryingByOrigin(res: ServerResponse) {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = ((name: string, value: number | string | readonly string[]) => {
    if (name.toLowerCase() !== "vary") return setHeader(name, value);
    const fields = [value].flat().join(", ");
    return setHeader(name, /(^|,)\s*origin\s*(,|$)/i.test(fields) ? fields : `${fields}, Origin`);
  }) as ServerResponse["setHeader"];
  res.setHeader("Vary", "Origin");
}
