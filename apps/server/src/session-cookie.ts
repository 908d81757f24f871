import type { IncomingMessage, ServerResponse } from "node:http";
import type { Credentials, SessionCookie } from "@tower/api";
import { clientAddressOf, isHttpsRequest, NO_TRUSTED_PROXIES, type ProxyTrust } from "@tower/shared/node";
import { parseCookie, stringifySetCookie } from "cookie";
import { isCrossOriginBrowserRequest } from "./origin";

export const SESSION_COOKIE = "tower_session";
/**
 * The name when the cookie is Secure. Browsers accept a `__Host-` cookie only if it is Secure, has
 * Path=/ and no Domain, and only from HTTPS, so a plain-HTTP page or a sibling subdomain cannot
 * plant one (session fixation) or read it.
 */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

export type SecureCookies = "auto" | "true" | "false";

export interface TransportTrust {
  secureCookies: SecureCookies;
  /** Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed. */
  proxies: ProxyTrust;
}

const DEFAULT_TRUST: TransportTrust = { secureCookies: "auto", proxies: NO_TRUSTED_PROXIES };

function isSecure(req: IncomingMessage, { secureCookies, proxies }: TransportTrust): boolean {
  return secureCookies === "true" || (secureCookies === "auto" && isHttpsRequest(req, proxies));
}

/** The cookie's name on this request: the one it is set under is the only one read back. */
function cookieName(req: IncomingMessage, trust: TransportTrust): string {
  return isSecure(req, trust) ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

/**
 * Session token from the cookie (never on a cross-origin browser request); API key from
 * `Authorization: Bearer` or `X-Api-Key`; and where the call came from (the socket's peer, or what
 * a trusted proxy forwarded).
 */
export function credentialsFrom(
  req: IncomingMessage,
  connectionApiKey?: unknown,
  trust: TransportTrust = DEFAULT_TRUST,
): Credentials {
  const auth = req.headers.authorization;
  const bearer = auth?.startsWith("Bearer ") ? auth.slice("Bearer ".length).trim() : undefined;
  const header = req.headers["x-api-key"];
  const apiKey =
    bearer ??
    (typeof header === "string" ? header : undefined) ??
    (typeof connectionApiKey === "string" ? connectionApiKey : undefined);
  // A page of another origin gets no session from the cookie its browser sends along (origin.ts).
  const sessionToken =
    req.headers.cookie && !isCrossOriginBrowserRequest(req, trust.proxies)
      ? parseCookie(req.headers.cookie)[cookieName(req, trust)]
      : undefined;
  return {
    apiKey: apiKey ?? null,
    sessionToken: sessionToken ?? null,
    clientAddress: clientAddressOf(req, trust.proxies),
    userAgent: req.headers["user-agent"] ?? null,
  };
}

/** Writes the httpOnly, SameSite=Lax session cookie on an HTTP response. */
export function sessionCookieFor(
  req: IncomingMessage,
  res: ServerResponse,
  secureCookies: SecureCookies,
  proxies: ProxyTrust = NO_TRUSTED_PROXIES,
): SessionCookie {
  const trust = { secureCookies, proxies };
  const name = cookieName(req, trust);
  const options = { httpOnly: true, sameSite: "lax" as const, path: "/", secure: isSecure(req, trust) };
  return {
    set(token, expiresAt) {
      res.appendHeader(
        "Set-Cookie",
        stringifySetCookie({ name, value: token, ...options, expires: new Date(expiresAt) }),
      );
    },
    clear() {
      res.appendHeader("Set-Cookie", stringifySetCookie({ name, value: "", ...options, maxAge: 0 }));
    },
  };
}
