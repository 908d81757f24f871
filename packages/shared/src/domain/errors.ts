/**
 * Domain error codes. Services throw these; the API's error boundary maps each one to the tRPC
 * (and so HTTP) status of the same name.
 */
export const ERROR_CODES = [
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "TOO_MANY_REQUESTS",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
