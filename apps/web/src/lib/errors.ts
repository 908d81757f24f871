import { TRPCClientError } from "@trpc/client";

export interface FormErrors {
  /** Messages per field, from the server's flattened zod error or a CONFLICT naming the field. */
  fields: Record<string, string[]>;
  /** A message not tied to one field (shown above the form). */
  form: string | null;
}

const FIELD_PREFIX = /^([A-Za-z][\w]*): (.+)$/;

/** Turns a tRPC error into per-field messages the forms can show next to each input. */
export function toFormErrors(error: unknown): FormErrors {
  if (!error) return { fields: {}, form: null };
  if (!(error instanceof TRPCClientError))
    return { fields: {}, form: error instanceof Error ? error.message : String(error) };
  const data = error.data as
    { code?: string; zodError?: { fieldErrors?: Record<string, string[] | undefined> } | null } | undefined;
  const fields: Record<string, string[]> = {};
  const fieldErrors = data?.zodError?.fieldErrors ?? {};
  for (const [field, messages] of Object.entries(fieldErrors)) {
    if (messages && messages.length > 0) fields[field] = messages;
  }
  if (Object.keys(fields).length > 0) return { fields, form: null };
  const match = FIELD_PREFIX.exec(error.message);
  if (data?.code === "CONFLICT" && match?.[1] && match[2])
    return { fields: { [match[1]]: [error.message] }, form: null };
  return { fields: {}, form: error.message };
}

export function errorMessage(error: unknown): string {
  if (!error) return "";
  return error instanceof Error ? error.message : String(error);
}
