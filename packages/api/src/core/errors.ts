import type { ErrorCode } from "@tower/shared";

/**
 * The one error type services throw; the error boundary turns it into a tRPC error. With `field`,
 * the refusal is about that input field: clients get it in `data.field` (a form shows the message
 * next to the field), and the message reads "field: message" as it always has.
 */
export class DomainError extends Error {
  /** The input field at fault, or null when the refusal is not about one field. */
  readonly field: string | null;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { field?: string } = {},
  ) {
    super(options.field ? `${options.field}: ${message}` : message);
    this.name = "DomainError";
    this.field = options.field ?? null;
  }
}

export const notFound = (what: string) => new DomainError("NOT_FOUND", `${what} not found`);
export const forbidden = (why: string) => new DomainError("FORBIDDEN", why);
