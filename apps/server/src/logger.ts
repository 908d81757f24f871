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
