import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { AgentStatus } from "@tower/shared";
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
    status: text("status").$type<AgentStatus>().notNull().default("idle"),
    tags: jsonText<string[]>("tags").notNull().default([]),
    metadata: jsonText<Record<string, unknown>>("metadata").notNull().default({}),
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
  ],
);
