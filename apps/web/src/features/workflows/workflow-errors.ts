import { TRPCClientError } from "@trpc/client";
import { errorMessage, humanize, parseIssues, type ErrorData } from "~/lib/errors";
import { STEP_FIELDS, type WorkflowErrors } from "./workflow-form-values";

// The server's refusal of a workflow, at the fields it names: zod's issue paths reach into the
// steps (`steps.1.target.value`), which the flattened error folds into one `steps` entry, so the
// paths are read from the message instead ("Invalid input: steps.1.name: Name is required; …").

const TOP = new Set(["name", "description", "steps"]);

/** `steps.1.target.value` → `steps.1.target`; `name` → `name`; anything else → "" (above the form). */
function keyOf(path: string): string {
  const [first, index, field] = path.split(".");
  if (first === "steps" && index !== undefined && /^\d+$/.test(index)) {
    return field && (STEP_FIELDS as readonly string[]).includes(field) ? `steps.${index}.${field}` : "steps";
  }
  return first && TOP.has(first) ? first : "";
}

export function toWorkflowErrors(error: unknown): { fields: WorkflowErrors; form: string | null } {
  if (!error) return { fields: {}, form: null };
  if (!(error instanceof TRPCClientError)) return { fields: {}, form: errorMessage(error) };
  const data = error.data as ErrorData;
  const fields: WorkflowErrors = {};
  const elsewhere: string[] = [];
  if (data?.zodError) {
    for (const issue of parseIssues(error.message)) {
      const key = keyOf(issue.path);
      if (key) fields[key] ??= [humanize(issue.message)];
      else elsewhere.push(humanize(issue.message));
    }
  } else if (data?.field && TOP.has(data.field)) {
    const prefix = `${data.field}: `;
    fields[data.field] = [error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message];
  } else {
    elsewhere.push(errorMessage(error));
  }
  return { fields, form: elsewhere.length > 0 ? elsewhere.join(" ") : null };
}
