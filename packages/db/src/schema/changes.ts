import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { projects } from "./auth";
import { epochMs, jsonText } from "./columns";

/**
 * The change feed. The autoincrement id is the event id subscribers resume from: it only grows,
 * so "everything after id N" is exactly what a reconnecting client missed.
 */
export const changes = sqliteTable(
  "changes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    entity: text("entity").notNull(),
    op: text("op").notNull(),
    entityId: text("entity_id").notNull(),
    data: jsonText<unknown>("data").notNull(),
    at: epochMs("at").notNull(),
  },
  (t) => [index("changes_project_id_idx").on(t.projectId, t.id)],
);
