import type { ErrorCode } from "@tower/shared";

/** The one error type services throw; the error boundary turns it into a tRPC error. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const notFound = (what: string) => new DomainError("NOT_FOUND", `${what} not found`);
export const forbidden = (why: string) => new DomainError("FORBIDDEN", why);
