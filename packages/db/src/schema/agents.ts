import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import type { AgentStatus, RoleMix, SessionEndReason } from "@tower/shared";
import { projects } from "./auth";
import { epochMs, jsonText } from "./columns";

export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    role: text("role").notNull(),
    category: text("category").notNull().default("general"),
    description: text("description").notNull().default(""),
    capabilities: jsonText<string[]>("capabilities").notNull().default([]),
    allowedTools: jsonText<string[]>("allowed_tools").notNull().default([]),
    pathScopes: jsonText<string[]>("path_scopes").notNull().default([]),
    budgetTokensPerSession: integer("budget_tokens_per_session"),
    budgetCostUsdPerDay: real("budget_cost_usd_per_day"),
    status: text("status").$type<AgentStatus>().notNull().default("offline"),
    tags: jsonText<string[]>("tags").notNull().default([]),
    metadata: jsonText<Record<string, unknown>>("metadata").notNull().default({}),
    version: text("version").notNull().default(""),
    owner: text("owner").notNull().default(""),
    teamId: text("team_id").references((): AnySQLiteColumn => teams.id, { onDelete: "set null" }),
    sessionsCount: integer("sessions_count").notNull().default(0),
    runsCount: integer("runs_count").notNull().default(0),
    successCount: integer("success_count").notNull().default(0),
    totalExecutionMs: integer("total_execution_ms").notNull().default(0),
    createdAt: epochMs("created_at").notNull(),
    updatedAt: epochMs("updated_at").notNull(),
    lastActiveAt: epochMs("last_active_at"),
  },
  (t) => [
    uniqueIndex("agents_project_name_unique").on(t.projectId, t.name),
    index("agents_project_created_idx").on(t.projectId, t.createdAt, t.id),
    index("agents_project_updated_idx").on(t.projectId, t.updatedAt, t.id),
    index("agents_project_status_idx").on(t.projectId, t.status, t.id),
    index("agents_project_role_idx").on(t.projectId, t.role, t.id),
    index("agents_project_active_idx").on(t.projectId, t.lastActiveAt, t.id),
    index("agents_team_idx").on(t.teamId),
  ],
);

/** Named groups with a role mix; activating one enables that many agents of those roles. */
export const teams = sqliteTable(
  "teams",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    roleMix: jsonText<RoleMix>("role_mix").notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(false),
    createdAt: epochMs("created_at").notNull(),
    updatedAt: epochMs("updated_at").notNull(),
  },
  (t) => [uniqueIndex("teams_project_name_unique").on(t.projectId, t.name)],
);

/** One run of an agent process, from `start()` until it stops, is disabled or misses heartbeats. */
export const agentSessions = sqliteTable(
  "agent_sessions",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    startedAt: epochMs("started_at").notNull(),
    lastHeartbeatAt: epochMs("last_heartbeat_at").notNull(),
    endedAt: epochMs("ended_at"),
    endReason: text("end_reason").$type<SessionEndReason>(),
    tokens: integer("tokens").notNull().default(0),
    costUsd: real("cost_usd").notNull().default(0),
    runs: integer("runs").notNull().default(0),
    successes: integer("successes").notNull().default(0),
  },
  (t) => [
    index("agent_sessions_agent_idx").on(t.agentId, t.startedAt),
    // The expiry sweep looks only at open sessions.
    index("agent_sessions_open_idx")
      .on(t.lastHeartbeatAt)
      .where(sql`${t.endedAt} is null`),
  ],
);
