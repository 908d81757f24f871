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
