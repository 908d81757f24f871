import { TRPCClientError } from "@trpc/client";
import {
  describeIssue,
  describeIssues,
  errorMessage,
  fieldOf,
  humanize,
  parseIssues,
  WRAPPERS,
  type ErrorData,
} from "./errors";

export interface FormErrors {
  /**
   * One message per field (the first rule it failed), from the server's zod error or a refusal
   * about one field (`data.field`). A list so that it can be passed to `Field` as is.
   */
  fields: Record<string, string[]>;
  /** A message not tied to one field the form shows (shown above the form). */
  form: string | null;
}

/**
 * Turns a tRPC error into one message per field, for the forms to show next to each input. The
 * server's flattened zod error names top-level fields; an input that wraps the fields (`patch`)
 * is mapped through the paths in the error message. `known` lists the fields the form shows: a
 * message for any other field is shown above the form, with the field's name.
 */
export function toFormErrors(error: unknown, known?: readonly string[]): FormErrors {
  if (!error) return { fields: {}, form: null };
  if (!(error instanceof TRPCClientError))
    return { fields: {}, form: error instanceof Error ? error.message : String(error) };
  const data = error.data as ErrorData;
  const fields: Record<string, string[]> = {};
  const elsewhere: string[] = [];
  const add = (field: string, message: string) => {
    if (field && (!known || known.includes(field))) fields[field] ??= [humanize(message)];
    else elsewhere.push(field ? describeIssue({ path: field, message }) : humanize(message));
  };

  if (data?.zodError) {
    const parsed = parseIssues(error.message);
    const fieldErrors = data.zodError.fieldErrors ?? {};
    for (const [key, messages] of Object.entries(fieldErrors)) {
      const first = messages?.[0];
      if (!first) continue;
      if (WRAPPERS.has(key)) {
        // The flattened error loses the inner path: take it from the message.
        const inner = parsed.filter((issue) => issue.path === key || issue.path.startsWith(`${key}.`));
        if (inner.length === 0) add("", first);
        for (const issue of inner) add(fieldOf(issue.path), issue.message);
      } else add(key, first);
    }
    for (const message of data.zodError.formErrors ?? []) add("", message);
    if (Object.keys(fields).length === 0 && elsewhere.length === 0) elsewhere.push(describeIssues(error.message));
    return { fields, form: elsewhere.length > 0 ? [...new Set(elsewhere)].join(" ") : null };
  }

  // A refusal about one field: the server names it in `data.field`, and the message reads
  // "field: message" ("password: This password is too easy to guess…"), shown without the prefix.
  const field = data?.field;
  if (field) {
    const prefix = `${field}: `;
    add(field, error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message);
    return { fields, form: elsewhere.length > 0 ? elsewhere.join(" ") : null };
  }
  return { fields: {}, form: errorMessage(error) };
}
