import type { IncomingMessage, ServerResponse } from "node:http";
import { isHttpsRequest, type ProxyTrust } from "@tower/shared/node";

/**
 * The dashboard's Content Security Policy. Everything comes from this origin (pages, scripts, the
 * `/trpc` proxy and its WebSocket, which 'self' covers). Next.js writes its bootstrap and page data
 * as inline scripts and React sets inline styles, so both need 'unsafe-inline': the alternative,
 * a nonce per request, makes every page dynamic (no static pages, no offline shell). What the policy
 * still stops: scripts, frames, objects, fonts, images and connections from anywhere else, framing
 * by other sites, and a <base> or form pointing elsewhere. Development adds 'unsafe-eval' (React's
 * dev build evaluates code for its stack traces).
 */
export function contentSecurityPolicy({ dev }: { dev: boolean }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** A year; browsers then use HTTPS for this host on their own, even for a typed http:// address. */
export const HSTS = "max-age=31536000";

/**
 * Sets the CSP on every page response, and HSTS only when the browser came over HTTPS (this server
 * speaks plain HTTP, so that means a trusted proxy in front says so): sent over plain HTTP it would
 * be ignored at best, and on a LAN install without TLS it must never be promised.
 */
export function applySecurityHeaders(
  req: IncomingMessage,
  res: ServerResponse,
  { dev, trust }: { dev: boolean; trust: ProxyTrust },
): void {
  res.setHeader("Content-Security-Policy", contentSecurityPolicy({ dev }));
  if (isHttpsRequest(req, trust)) res.setHeader("Strict-Transport-Security", HSTS);
}
