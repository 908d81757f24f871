import type { IncomingMessage, ServerResponse } from "node:http";
import type { Credentials, SessionCookie } from "@tower/api";
import { parseCookie, stringifySetCookie } from "cookie";

export const SESSION_COOKIE = "tower_session";

export type SecureCookies = "auto" | "true" | "false";

function isHttps(req: IncomingMessage): boolean {
  const forwarded = req.headers["x-forwarded-proto"];
  const proto = Array.isArray(forwarded) ? forwarded[0] : forwarded?.split(",")[0];
  return proto?.trim() === "https" || ("encrypted" in req.socket && Boolean(req.socket.encrypted));
}

/** Session token from the cookie; API key from `Authorization: Bearer` or `X-Api-Key`. */
export function credentialsFrom(req: IncomingMessage, connectionApiKey?: unknown): Credentials {
  const auth = req.headers.authorization;
  const bearer = auth?.startsWith("Bearer ") ? auth.slice("Bearer ".length).trim() : undefined;
  const header = req.headers["x-api-key"];
  const apiKey =
    bearer ??
    (typeof header === "string" ? header : undefined) ??
    (typeof connectionApiKey === "string" ? connectionApiKey : undefined);
  const sessionToken = req.headers.cookie ? parseCookie(req.headers.cookie)[SESSION_COOKIE] : undefined;
  return { apiKey: apiKey ?? null, sessionToken: sessionToken ?? null };
}

/** Writes the httpOnly, SameSite=Lax session cookie on an HTTP response. */
export function sessionCookieFor(req: IncomingMessage, res: ServerResponse, secure: SecureCookies): SessionCookie {
  const options = {
    httpOnly: true,
    sameSite: "lax" as const,
    path: "/",
    secure: secure === "true" || (secure === "auto" && isHttps(req)),
  };
  return {
    set(token, expiresAt) {
      res.appendHeader(
        "Set-Cookie",
        stringifySetCookie({
          name: SESSION_COOKIE,
          value: token,
          ...options,
          expires: new Date(expiresAt),
        }),
      );
    },
    clear() {
      res.appendHeader("Set-Cookie", stringifySetCookie({ name: SESSION_COOKIE, value: "", ...options, maxAge: 0 }));
    },
  };
}
