import type { Decision } from "./audit";
import type { Role } from "./roles";

// Policy and approvals, the zod-free half: what a rule says, what a check answers, what an approval
// is. Schemas are in ../policy.ts; evaluation is the server's (packages/api/src/policy).

/** What a rule (or the project default) does with a request it matches. */
export const POLICY_EFFECTS = ["allow", "deny", "require_approval"] as const;
export type PolicyEffect = (typeof POLICY_EFFECTS)[number];

/** The decision a check answers for each effect (the audit trail's words). */
export const DECISION_OF_EFFECT: Record<PolicyEffect, Decision> = {
  allow: "allowed",
  deny: "denied",
  require_approval: "requires_approval",
};

/**
 * The checks made before any rule, in this order; the first that fails denies the request. They
 * come from the agent's registration (enabled, allowed tools, path scopes, budgets), so a project's
 * rules can add restrictions and approvals but never lift these.
 */
export const BUILT_IN_CHECKS = [
  "agent_unknown",
  "agent_disabled",
  "tool_not_allowed",
  "path_outside_scope",
  "budget_tokens_per_session",
  "budget_cost_per_day",
] as const;
export type BuiltInCheck = (typeof BUILT_IN_CHECKS)[number];

/** What each built-in check does, as the Policy page explains it. */
export const BUILT_IN_CHECK_TEXT: Record<BuiltInCheck, string> = {
  agent_unknown: "The agent is not registered in this project.",
  agent_disabled: "The agent is disabled (by an operator, its team, or the kill switch).",
  tool_not_allowed:
    "The agent has a list of allowed tools and this tool matches none of them (an empty list allows every tool).",
  path_outside_scope:
    "The path leaves the agent's workspace, or the agent has path scopes and the path matches none of them (no scopes: any path inside the workspace).",
  budget_tokens_per_session: "The session has used its token budget.",
  budget_cost_per_day: "Today's cost (UTC) has reached the daily budget, or would with this request's estimate.",
};

export const APPROVAL_STATUSES = ["pending", "approved", "denied", "expired", "cancelled"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const APPROVER_ROLES = ["operator", "admin", "owner"] as const satisfies readonly Role[];
export type ApproverRole = (typeof APPROVER_ROLES)[number];

export const POLICY_LIMITS = {
  rules: 200,
  /** A rule's or the default's approval lifetime, seconds. */
  approvalTtlMinSeconds: 10,
  approvalTtlMaxSeconds: 7 * 86_400,
  defaultApprovalTtlSeconds: 900,
  /** The longest "this agent, this tool, for N minutes" an approver may grant. */
  grantMaxMinutes: 24 * 60,
  /** A request's `input`, as JSON. */
  inputBytes: 16_384,
  pathLength: 4_096,
  toolLength: 200,
  reasonLength: 500,
  commentLength: 1_000,
  /** A policy as YAML. */
  yamlBytes: 262_144,
} as const;

/** Which requests a rule applies to: every field given must match; a list matches any of its items. */
export interface PolicyMatch {
  /** Agent names. */
  agents?: string[];
  roles?: string[];
  tags?: string[];
  /** Team names. */
  teams?: string[];
  /** Tool names or globs (`Bash`, `mcp__github__*`). */
  tools?: string[];
  /** Operations (`tool_use`, `api_call`, `file_access`, `agent_spawn` …). */
  operations?: string[];
  /** Path globs relative to the agent's workspace (`src/**`); a request without a path never matches. */
  paths?: string[];
  /** Matches when the request's estimated cost is above this (USD); a request without one never matches. */
  costAbove?: number;
}

export interface PolicyRule {
  /** Stable name of the rule, shown to agents and in the audit trail (`no-prod-writes`). */
  id: string;
  description: string;
  match: PolicyMatch;
  effect: PolicyEffect;
  /** Told to the agent with the decision. */
  reason: string;
  /** With `require_approval`: how long the approval stays open, seconds. */
  ttlSeconds?: number;
}

/** A project's policy: ordered rules (first match wins) and what applies when none matches. */
export interface PolicyDocument {
  defaultEffect: PolicyEffect;
  defaultReason: string;
  /** With `require_approval` as the default: how long its approvals stay open, seconds. */
  defaultTtlSeconds: number;
  /** The least role that may decide approvals (people only; API keys never approve). */
  approverRole: ApproverRole;
  rules: PolicyRule[];
}

/** The policy of a project that never saved one: every request that passes the built-in checks is allowed. */
export const DEFAULT_POLICY: PolicyDocument = {
  defaultEffect: "allow",
  defaultReason: "No rule matched; the project allows by default",
  defaultTtlSeconds: POLICY_LIMITS.defaultApprovalTtlSeconds,
  approverRole: "operator",
  rules: [],
};

/** One saved version of a project's policy. Version 0 is `DEFAULT_POLICY`, never stored. */
export interface PolicyVersion {
  version: number;
  document: PolicyDocument;
  /** What changed from the version before, in words. */
  summary: string;
  createdAt: number;
  actorName: string;
}

/** What decided a request. */
export type DecisionSource = "check" | "rule" | "default" | "approval" | "grant";

export interface PolicyDecision {
  decision: Decision;
  reason: string;
  source: DecisionSource;
  /** With `source` "check": which built-in check denied. */
  check: BuiltInCheck | null;
  /** With `source` "rule" (and an approval or grant that a rule asked for): the rule's id. */
  ruleId: string | null;
  policyVersion: number;
  /** SHA-256 of the normalized request: an approval is bound to it. */
  inputHash: string;
  /** With "requires_approval" (or an allow that used one): the approval. */
  approvalId: string | null;
  /** With "requires_approval": when the approval expires unless decided. */
  expiresAt: number | null;
}

export interface Approval {
  id: string;
  projectId: string;
  agentId: string;
  agentName: string;
  sessionId: string | null;
  tool: string;
  operation: string;
  /** Relative to the agent's workspace when it could be made so. */
  path: string | null;
  input: Record<string, unknown>;
  inputHash: string;
  /** Why approval is needed (the rule's reason). */
  reason: string;
  ruleId: string | null;
  policyVersion: number;
  estimatedCostUsd: number | null;
  /** Expiry is computed: a pending approval past `expiresAt` reads "expired" even before the sweep. */
  status: ApprovalStatus;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  deciderId: string | null;
  deciderName: string | null;
  comment: string;
  /** With an approval widened to a grant: the grant. */
  grantId: string | null;
  /** The prefix of the key the request came with. */
  requestedWith: string | null;
  /** A person who asked on the agent's behalf, signed in: another approver must decide it. */
  requestedById: string | null;
  requestedByName: string | null;
}

/** "This agent, this tool, for N minutes": an approver's yes widened beyond one request. */
export interface PolicyGrant {
  id: string;
  projectId: string;
  agentId: string;
  agentName: string;
  tool: string;
  approvalId: string | null;
  createdAt: number;
  expiresAt: number;
  createdByName: string;
  revokedAt: number | null;
  revokedByName: string | null;
}

/** An approval as it reads at `now`: pending past its expiry is "expired", whatever the row says yet. */
export function approvalStatusAt(approval: Pick<Approval, "status" | "expiresAt">, now: number): ApprovalStatus {
  return approval.status === "pending" && approval.expiresAt <= now ? "expired" : approval.status;
}
