import type { ZodError } from "zod";

/**
 * "name: Name is required; role: Role is required" — names every field that failed. zod's own
 * "Invalid input: expected number…" loses its prefix: the whole message already starts with it.
 */
export function describeIssues(error: ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join(".") || "input"}: ${issue.message.replace(/^Invalid input: (?=expected )/, "")}`)
    .join("; ");
}

/** The field the first issue is about (`limit`, `runs.3.input`), for clients that show one field's error. */
export function firstIssuePath(error: ZodError): string | null {
  const path = error.issues[0]?.path ?? [];
  return path.length > 0 ? path.join(".") : null;
}
