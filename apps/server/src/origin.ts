import type { IncomingMessage } from "node:http";
import type { ProxyTrust } from "@tower/shared/node";

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

/**
 * Whether a browser sent this request for a page of another origin. Such a request authenticates
 * with an API key only: its session cookie is ignored. Cookies are scoped by host, not port, and
 * SameSite=Lax lets them ride same-site requests, so a page on an allowed origin beside the
 * dashboard (another port, a sibling subdomain) would otherwise act with the signed-in operator's
 * role, above all over a WebSocket, which CORS does not cover. Two signs, neither of which a page
 * can set or change:
 *
 * - `Sec-Fetch-Site: same-site | cross-site`, which current browsers send on fetches (the
 *   dashboard's own calls, through its same-origin proxy, say `same-origin`; a typed address says
 *   `none`; non-browser clients send none).
 * - On a WebSocket handshake (Chromium sends it without `Sec-Fetch-*`), an Origin whose host is not
 *   the one the browser connected to: the Host header, or `X-Forwarded-Host` from a trusted proxy.
 *   The dashboard's proxy passes Host on unchanged, so its own socket's origin and host agree; a
 *   proxy in front of it must pass Host too (nginx: `proxy_set_header Host $host`) or set
 *   X-Forwarded-Host. This comparison only ever takes the cookie away; it never admits an origin.
 */
export function isCrossOriginBrowserRequest(req: IncomingMessage, proxies: ProxyTrust): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site) return site === "same-site" || site === "cross-site";
  const origin = req.headers.origin;
  if (!origin || req.headers.upgrade?.toLowerCase() !== "websocket") return false;
  const originHost = hostOf(origin);
  if (originHost === null) return true;
  const hosts = [req.headers.host];
  if (proxies.isTrusted(req.socket.remoteAddress ?? "")) {
    const forwarded = req.headers["x-forwarded-host"];
    hosts.push((Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim());
  }
  return !hosts.some((host) => host?.toLowerCase() === originHost);
}

/** `host[:port]` of an origin as a Host header names it (no default port), or null if malformed. */
function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}
