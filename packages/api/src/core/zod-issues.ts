import type { ZodError } from "zod";

/** "name: Name is required; role: Role is required" — names every field that failed. */
export function describeIssues(error: ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "input"}: ${issue.message}`).join("; ");
}
