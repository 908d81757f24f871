import type { PolicyMatch, PolicyRule } from "@tower/shared";

// How rules read on the Policy page.

export const EFFECT_LABELS: Record<PolicyRule["effect"], string> = {
  allow: "Allow",
  deny: "Deny",
  require_approval: "Require approval",
};

export const MATCH_LABELS: Record<keyof PolicyMatch, string> = {
  agents: "Agents",
  roles: "Roles",
  tags: "Tags",
  teams: "Teams",
  tools: "Tools",
  operations: "Operations",
  paths: "Paths",
  costAbove: "Cost above (USD)",
};

export const LIST_FIELDS = ["tools", "operations", "paths", "agents", "roles", "tags", "teams"] as const;

/** "tools Bash, Write · paths src/**" — or "every request" for a rule that matches anything. */
export function describeMatch(match: PolicyMatch): string {
  const parts: string[] = [];
  for (const field of LIST_FIELDS) {
    const values = match[field];
    if (values && values.length > 0) parts.push(`${MATCH_LABELS[field].toLowerCase()} ${values.join(", ")}`);
  }
  if (match.costAbove !== undefined) parts.push(`estimated cost above $${match.costAbove}`);
  return parts.length > 0 ? parts.join(" · ") : "every request";
}

/** "15 min", "2 h", "90 s". */
export function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
