import pino, { type Logger } from "pino";

/** JSON logs; credentials are redacted wherever they could appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        'req.headers["x-api-key"]',
        'req.headers["proxy-authorization"]',
        'res.headers["set-cookie"]',
        "password",
        "*.password",
        "token",
        "*.token",
        "secret",
        "*.secret",
      ],
      censor: "[redacted]",
    },
  });
}

/**
 * Request headers whose values are logged: what helps find a problem, never what could carry a
 * credential. Any other header (a proxy's `Proxy-Authorization`, a client's own token header) is
 * logged by name only.
 */
const LOGGED_HEADERS = new Set([
  "host",
  "user-agent",
  "content-type",
  "content-length",
  "transfer-encoding",
  "origin",
  "sec-fetch-site",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-request-id",
  "trpc-accept",
  "x-trpc-source",
]);

/** Request headers as logged: see LOGGED_HEADERS. */
export function headersForLog(headers: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!headers) return headers;
  const logged: Record<string, unknown> = {};
  const others: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (LOGGED_HEADERS.has(name)) logged[name] = value;
    else others.push(name);
  }
  if (others.length > 0) logged["(not logged)"] = others.join(", ");
  return logged;
}

/** Query parameters whose values say how a call was sent, never what it carried. */
const PLAIN_PARAMETERS = new Set(["batch"]);

/**
 * A request URL as logged: the path, and the query's parameter names with their values redacted
 * (but tRPC's `batch`). A query can carry a whole input (a tRPC GET's `input`, or a password or
 * key sent there by mistake, which the server refuses but would still have logged).
 */
export function urlForLog(url: string | undefined): string | undefined {
  const at = url?.indexOf("?") ?? -1;
  if (url === undefined || at < 0) return url;
  const pairs = url
    .slice(at + 1)
    .split("&")
    .filter(Boolean)
    .map((pair) => {
      const name = pair.split("=")[0]!;
      return PLAIN_PARAMETERS.has(name) ? pair : `${name}=[redacted]`;
    });
  return `${url.slice(0, at)}?${pairs.join("&")}`;
}
