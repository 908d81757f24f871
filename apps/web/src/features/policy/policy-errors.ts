import { TRPCClientError } from "@trpc/client";
import { humanize, parseIssues, type ErrorData } from "~/lib/errors";
import { toFormErrors } from "~/lib/form-errors";

/**
 * A refused save, one message per place in the document: `defaultReason`, `rules.2.reason`,
 * `rules.0.match.tools` (the path below `document`), and a message for the rest. Zod's paths come
 * from the server's message (its flattened error names only `document`); any other refusal (a
 * conflict, a domain error naming its field) is read by `toFormErrors`, as every form does.
 */
export interface PolicyErrors {
  paths: Record<string, string>;
  form: string | null;
}

export function policyErrors(error: unknown): PolicyErrors {
  if (!error) return { paths: {}, form: null };
  const data = error instanceof TRPCClientError ? (error.data as ErrorData) : undefined;
  if (!data?.zodError) {
    const { fields, form } = toFormErrors(error);
    const paths: Record<string, string> = {};
    const rest: string[] = form ? [form] : [];
    for (const [field, messages] of Object.entries(fields)) {
      if (field === "document" || field === "expectedVersion" || !messages[0]) rest.push(messages[0] ?? "");
      else paths[field] = messages[0];
    }
    return { paths, form: rest.filter(Boolean).join(" ") || null };
  }
  const paths: Record<string, string> = {};
  const rest: string[] = [];
  for (const issue of parseIssues((error as Error).message)) {
    const path = issue.path === "input" ? "" : issue.path.replace(/^document\.?/, "");
    if (path && !(path in paths)) paths[path] = humanize(issue.message);
    else if (!path) rest.push(humanize(issue.message));
  }
  return { paths, form: rest.length > 0 ? rest.join(" ") : null };
}
