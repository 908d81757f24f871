import { TRPCClientError } from "@trpc/client";

// Errors in words for a person: a message (errorMessage) and validation issues (describeIssues).
// Per-field messages for forms are in form-errors.ts, loaded with the forms.

/** One failed rule: where (`patch.name`, `pathScopes.2`) and what. */
export interface Issue {
  path: string;
  message: string;
}

/** Labels for field paths in messages that are not shown next to their field (import reports). */
const FIELD_LABELS: Record<string, string> = {
  name: "Name",
  role: "Role",
  category: "Category",
  description: "Description",
  capabilities: "Capabilities",
  allowedTools: "Allowed tools",
  pathScopes: "Path scopes",
  budgetTokensPerSession: "Budget tokens per session",
  budgetCostUsdPerDay: "Budget USD per day",
  tags: "Tags",
  metadata: "Metadata",
  version: "Version",
  owner: "Owner",
  email: "Email",
  password: "Password",
  currentPassword: "Current password",
  newPassword: "New password",
  setupCode: "Setup code",
  inviteToken: "Invite link",
  roleMix: "Role mix",
  model: "Model",
  scopes: "Scopes",
};

/** Keys of inputs that only wrap the form's fields (`agent.update {id, patch}`). */
export const WRAPPERS = new Set(["patch"]);

const number = (text: string) => {
  const n = Number(text);
  return Number.isFinite(n) ? n.toLocaleString("en-US") : text;
};

/**
 * zod's built-in English messages, which read like a type checker ("Too small: expected number to
 * be >0"), in words for a person. A rule with its own message passes through unchanged.
 */
const ZOD_DEFAULTS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^Too small: expected string to have >=1 characters?$/, () => "This field is required"],
  [
    /^Too (small|big): expected string to have [<>]=?(\d+) characters$/,
    (m) => `Use at ${m[1] === "big" ? "most" : "least"} ${number(m[2]!)} characters`,
  ],
  [
    /^Too (small|big): expected array to have [<>]=?(\d+) items$/,
    (m) => `${m[1] === "big" ? "At most" : "At least"} ${number(m[2]!)} items`,
  ],
  [
    /^Too small: expected (?:number|int) to be >(=?)(\S+)$/,
    (m) => `Enter a number ${m[1] ? "of at least" : "above"} ${number(m[2]!)}`,
  ],
  [
    /^Too big: expected (?:number|int) to be <(=?)(\S+)$/,
    (m) => `Enter a number ${m[1] ? "no greater than" : "below"} ${number(m[2]!)}`,
  ],
  [/^(?:Invalid input: )?expected \w+, received (?:undefined|null)$/, () => "This field is required"],
  [/^(?:Invalid input: )?expected int, received number$/, () => "Enter a whole number"],
  [/^(?:Invalid input: )?expected number, received \w+$/, () => "Enter a number"],
  [/^Invalid option: expected one of (.+)$/, (m) => `Choose one of ${m[1]!.replaceAll('"', "").split("|").join(", ")}`],
  [/^Invalid email(?: address)?$/, () => "Enter a valid email address"],
  [/^Invalid (?:input|string: must match pattern .+)$/, () => "This value is not valid"],
  [/^(?:Invalid input: )?expected \w+, received \w+$/, () => "This value is not valid here"],
];

/** A validation message in words for a person (zod's defaults rewritten, others unchanged). */
export function humanize(message: string): string {
  const text = message.trim();
  for (const [pattern, rewrite] of ZOD_DEFAULTS) {
    const match = pattern.exec(text);
    if (match) return rewrite(match);
  }
  return text;
}

/**
 * The issues of a server message such as `Invalid input: patch.name: Name is required; role: …`
 * (or an import report's reason, the same list without the prefix). Splits only before something
 * that looks like a path, so a message containing "; " stays whole.
 */
export function parseIssues(text: string): Issue[] {
  const body = text.replace(/^Invalid input:\s*/, "");
  const issues: Issue[] = [];
  for (const part of body.split(/;\s+(?=[\w$][\w$.-]*: )/)) {
    const match = /^([\w$][\w$.-]*): ([\s\S]+)$/.exec(part.trim());
    if (match) issues.push({ path: match[1]!, message: match[2]! });
    else if (part.trim()) issues.push({ path: "", message: part.trim() });
  }
  return issues;
}

/** The field an issue path names, without wrapper keys and list indexes: `patch.pathScopes.2` → `pathScopes`. */
export function fieldOf(path: string): string {
  const segments = path.split(".").filter((s) => s !== "");
  while (segments.length > 1 && WRAPPERS.has(segments[0]!)) segments.shift();
  const first = segments[0] ?? "";
  return WRAPPERS.has(first) || first === "input" ? "" : first;
}

function labelOf(field: string): string {
  return FIELD_LABELS[field] ?? field;
}

/** "Budget USD per day: Enter a number above 0", unless the message already names its field. */
export function describeIssue(issue: Issue): string {
  const message = humanize(issue.message);
  const field = fieldOf(issue.path);
  if (!field) return message;
  const label = labelOf(field);
  return message.toLowerCase().includes(label.toLowerCase()) ? message : `${label}: ${message}`;
}

/** An import report's reason or a server message, issue by issue, in words for a person. */
export function describeIssues(text: string): string {
  return parseIssues(text).map(describeIssue).join("; ");
}

export type ErrorData =
  | {
      code?: string;
      zodError?: { formErrors?: string[]; fieldErrors?: Record<string, string[] | undefined> } | null;
      /** The input field a refusal is about; its message reads "field: message". */
      field?: string | null;
    }
  | undefined;

/** An error's message for a person; a validation error's issues are described one by one. */
export function errorMessage(error: unknown): string {
  if (!error) return "";
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith("Invalid input: ") ? describeIssues(message) : message;
}

/** Whether the server answered that the thing asked for does not exist (any more). */
export function isNotFound(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as ErrorData)?.code === "NOT_FOUND";
}
