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
  /** A list's items each say what is wrong with them (two bad globs: both named), one message per item. */
  const addItems = (field: string, issues: readonly { path: string; message: string }[]) => {
    const byItem = new Map<string, string>();
    for (const issue of issues) if (!byItem.has(issue.path)) byItem.set(issue.path, humanize(issue.message));
    if (!known || known.includes(field)) fields[field] = [...new Set(byItem.values())];
    else for (const message of byItem.values()) elsewhere.push(describeIssue({ path: field, message }));
  };
  const isItemOf = (field: string, path: string) => new RegExp(`^(?:\\w+\\.)?${field}\\.\\d+$`).test(path);

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
        for (const field of new Set(inner.map((issue) => fieldOf(issue.path)))) {
          const items = inner.filter((issue) => isItemOf(field, issue.path));
          if (field && items.length > 1) addItems(field, items);
          else for (const issue of inner.filter((i) => fieldOf(i.path) === field)) add(field, issue.message);
        }
      } else {
        const items = parsed.filter((issue) => isItemOf(key, issue.path));
        if (items.length > 1) addItems(key, items);
        else add(key, first);
      }
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
