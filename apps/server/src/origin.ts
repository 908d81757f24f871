import type { IncomingMessage } from "node:http";

/**
 * Browsers always send Origin on WebSocket upgrades and cross-site requests; a request without one
 * comes from a non-browser client (the SDK), which cannot carry a victim's cookies. A browser
 * request is allowed when it is same-origin or its origin is configured.
 */
export function isOriginAllowed(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  if (allowedOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
