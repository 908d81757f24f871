import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { ApprovalStatus, PolicyDocument } from "@tower/shared";
import { agents } from "./agents";
import { projects } from "./auth";
import { epochMs, jsonText } from "./columns";

/**
 * Every saved version of each project's policy, kept: the newest is in force. Version 0 (the
 * built-in default) is never stored.
 */
export const policyVersions = sqliteTable(
  "policy_versions",
  {
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    document: jsonText<PolicyDocument>("document").notNull(),
    /** What changed from the version before, in words. */
    summary: text("summary").notNull(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    actorName: text("actor_name").notNull(),
    createdAt: epochMs("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.version] })],
);

/**
 * A request a rule sent to a person. Durable: it survives restarts, and an agent waiting on it
 * reconnects by its id. Bound to the request's hash: approving covers that input only.
 */
export const approvals = sqliteTable(
  "approvals",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    agentName: text("agent_name").notNull(),
    sessionId: text("session_id"),
    tool: text("tool").notNull(),
    operation: text("operation").notNull(),
    path: text("path"),
    input: jsonText<Record<string, unknown>>("input").notNull(),
    inputHash: text("input_hash").notNull(),
    reason: text("reason").notNull(),
    ruleId: text("rule_id"),
    policyVersion: integer("policy_version").notNull(),
    estimatedCostUsd: real("estimated_cost_usd"),
    status: text("status").$type<ApprovalStatus>().notNull(),
    createdAt: epochMs("created_at").notNull(),
    expiresAt: epochMs("expires_at").notNull(),
    decidedAt: epochMs("decided_at"),
    deciderId: text("decider_id"),
    deciderName: text("decider_name"),
    comment: text("comment").notNull().default(""),
    grantId: text("grant_id"),
    /** When an approved request was allowed by a later identical check (an approval is used once). */
    usedAt: epochMs("used_at"),
    /** The check that used it (`checkId`): that check asked again gets the same answer. */
    usedByCheck: text("used_by_check"),
    requestedWith: text("requested_with"),
    /** A person who asked on the agent's behalf (signed in, not with the agent's key); they may not decide it. */
    requestedById: text("requested_by_id"),
    requestedByName: text("requested_by_name"),
  },
  (t) => [
    // Newest first, all or by status (the inbox, the history).
    index("approvals_project_idx").on(t.projectId, t.id),
    index("approvals_project_status_idx").on(t.projectId, t.status, t.id),
    index("approvals_agent_idx").on(t.agentId, t.id),
    // The same request asked again: its open (or approved, unused) approval.
    index("approvals_request_idx").on(t.agentId, t.inputHash, t.status),
    // The expiry sweep looks only at pending ones.
    index("approvals_pending_expiry_idx")
      .on(t.expiresAt)
      .where(sql`${t.status} = 'pending'`),
  ],
);

/** "This agent, this tool, for N minutes": an approver's yes widened beyond one request. */
export const policyGrants = sqliteTable(
  "policy_grants",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    tool: text("tool").notNull(),
    approvalId: text("approval_id"),
    createdAt: epochMs("created_at").notNull(),
    expiresAt: epochMs("expires_at").notNull(),
    createdById: text("created_by_id"),
    createdByName: text("created_by_name").notNull(),
    revokedAt: epochMs("revoked_at"),
    revokedByName: text("revoked_by_name"),
  },
  (t) => [
    index("policy_grants_project_idx").on(t.projectId, t.id),
    index("policy_grants_agent_tool_idx").on(t.agentId, t.tool, t.expiresAt),
  ],
);
