import { z, type ZodError } from "zod";

/**
 * Problems named in one message, at most: a call of 1,000 bad runs is told the first few and how
 * many more (all of them made an answer three times the size of the call).
 */
export const ISSUES_NAMED = 10;

/**
 * "name: Name is required; role: Role is required" — names every field that failed, up to
 * `ISSUES_NAMED`. zod's own "Invalid input: expected number…" loses its prefix: the whole message
 * already starts with it.
 */
export function describeIssues(error: ZodError): string {
  const named = error.issues
    .slice(0, ISSUES_NAMED)
    .map(
      (issue) => `${issue.path.join(".") || "input"}: ${issue.message.replace(/^Invalid input: (?=expected )/, "")}`,
    );
  const more = error.issues.length - named.length;
  if (more > 0) named.push(`and ${more.toLocaleString("en-US")} more ${more === 1 ? "problem" : "problems"}`);
  return named.join("; ");
}

/** zod's per-field lists, each cut to `ISSUES_NAMED` messages (the message says how many there were). */
export function flattenIssues(error: ZodError): {
  formErrors: string[];
  fieldErrors: Record<string, string[] | undefined>;
} {
  const { formErrors, fieldErrors } = z.flattenError(error);
  return {
    formErrors: formErrors.slice(0, ISSUES_NAMED),
    fieldErrors: Object.fromEntries(
      Object.entries(fieldErrors as Record<string, string[] | undefined>).map(([field, messages]) => [
        field,
        messages?.slice(0, ISSUES_NAMED),
      ]),
    ),
  };
}

/** The field the first issue is about (`limit`, `runs.3.input`), for clients that show one field's error. */
export function firstIssuePath(error: ZodError): string | null {
  const path = error.issues[0]?.path ?? [];
  return path.length > 0 ? path.join(".") : null;
}
