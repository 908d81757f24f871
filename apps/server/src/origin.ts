import type { IncomingMessage } from "node:http";

/**
 * Browsers always send Origin on WebSocket upgrades and cross-site requests; a request without one
 * comes from a non-browser client (the SDK), which cannot carry a victim's cookies. A browser
 * request is allowed only when its origin is configured (TOWER_ALLOWED_ORIGINS). It is never
 * compared with the request's own Host header: after a DNS rebinding, a hostile page's origin and
 * the Host it sends name the same attacker domain, now resolving to this server, so "same origin"
 * would let it in.
 */
export function isOriginAllowed(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  return allowedOrigins.includes(origin);
}
