import type { PolicyMatch, PolicyRule } from "@tower/shared";
import { POLICY_LIMITS, splitListText } from "@tower/shared/domain";
import { LIST_FIELDS } from "./format";

// A rule as a form's text fields and back, with the checks a person can fix before saving (the
// server checks everything again on save, and its messages are shown by the rule).

/** The rule id's pattern (RULE_ID_PATTERN in @tower/shared, a zod module the browser does not load). */
const RULE_ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export type RuleFields = Record<"id" | "description" | "effect" | "reason" | "ttlSeconds" | "costAbove", string> &
  Record<(typeof LIST_FIELDS)[number], string>;

export const emptyFields = (): RuleFields => ({
  id: "",
  description: "",
  effect: "require_approval",
  reason: "",
  ttlSeconds: "",
  costAbove: "",
  tools: "",
  operations: "",
  paths: "",
  agents: "",
  roles: "",
  tags: "",
  teams: "",
});

export function fieldsOf(rule: PolicyRule): RuleFields {
  const fields = emptyFields();
  fields.id = rule.id;
  fields.description = rule.description;
  fields.effect = rule.effect;
  fields.reason = rule.reason;
  fields.ttlSeconds = rule.ttlSeconds === undefined ? "" : String(rule.ttlSeconds);
  fields.costAbove = rule.match.costAbove === undefined ? "" : String(rule.match.costAbove);
  for (const field of LIST_FIELDS) fields[field] = (rule.match[field] ?? []).join(", ");
  return fields;
}

/** "Bash, Write" or one per line → ["Bash", "Write"]; nothing → undefined (matches any). */
const listOf = (text: string) => {
  const items = splitListText(text);
  return items.length > 0 ? items : undefined;
};

/** The rule the fields describe, or one message per field that is not right yet. */
export function ruleOf(
  fields: RuleFields,
  takenIds: readonly string[],
): { rule: PolicyRule; errors: null } | { rule: null; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const id = fields.id.trim();
  if (!RULE_ID.test(id))
    errors.id = "A rule id is lower-case letters, digits and _ . - (at most 64), e.g. no-prod-writes";
  else if (takenIds.includes(id)) errors.id = `Rule id "${id}" is already used by another rule`;
  const reason = fields.reason.trim();
  if (!reason) errors.reason = "Say why: the agent is told this reason";
  else if (reason.length > POLICY_LIMITS.reasonLength)
    errors.reason = `At most ${POLICY_LIMITS.reasonLength} characters`;
  const effect = fields.effect as PolicyRule["effect"];
  let ttlSeconds: number | undefined;
  if (effect === "require_approval" && fields.ttlSeconds.trim()) {
    ttlSeconds = Number(fields.ttlSeconds);
    if (
      !Number.isInteger(ttlSeconds) ||
      ttlSeconds < POLICY_LIMITS.approvalTtlMinSeconds ||
      ttlSeconds > POLICY_LIMITS.approvalTtlMaxSeconds
    )
      errors.ttlSeconds = `Whole seconds from ${POLICY_LIMITS.approvalTtlMinSeconds} to ${POLICY_LIMITS.approvalTtlMaxSeconds.toLocaleString("en-US")} (7 days)`;
  }
  const match: PolicyMatch = {};
  for (const field of LIST_FIELDS) {
    const items = listOf(fields[field]);
    if (items) match[field] = items;
  }
  if (fields.costAbove.trim()) {
    const cost = Number(fields.costAbove);
    if (!Number.isFinite(cost) || cost < 0) errors["match.costAbove"] = "A cost of 0 or more (USD)";
    else match.costAbove = cost;
  }
  if (Object.keys(errors).length > 0) return { rule: null, errors };
  return {
    rule: {
      id,
      description: fields.description.trim(),
      match,
      effect,
      reason,
      ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
    },
    errors: null,
  };
}
