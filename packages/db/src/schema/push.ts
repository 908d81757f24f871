import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./auth";
import { epochMs } from "./columns";

/**
 * Web push subscriptions: one row per browser (device) a person turned notifications on in. The
 * endpoint is a capability URL of the browser's push service, unique across users: the browser
 * holds the subscription, so whoever subscribes it last owns the row. What each device receives is
 * three flags, so the recipients of a notification are one indexed query.
 */
export const pushSubscriptions = sqliteTable(
  "push_subscriptions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    endpoint: text("endpoint").notNull(),
    /** The browser's P-256 public key and auth secret (base64url) that payloads are encrypted to. */
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    deviceLabel: text("device_label").notNull(),
    wantsApprovals: integer("wants_approvals", { mode: "boolean" }).notNull().default(true),
    wantsBudget: integer("wants_budget", { mode: "boolean" }).notNull().default(true),
    wantsAgentErrors: integer("wants_agent_errors", { mode: "boolean" }).notNull().default(true),
    createdAt: epochMs("created_at").notNull(),
    /** When a notification last reached the push service for it. */
    lastUsedAt: epochMs("last_used_at"),
  },
  (t) => [
    uniqueIndex("push_subscriptions_endpoint_unique").on(t.endpoint),
    index("push_subscriptions_user_idx").on(t.userId),
  ],
);
