-- Agents' reports keep their own time and a per-session sequence number beside the order of commit,
-- so a session can be listed in the order its agent made the reports. drizzle-kit splits an index
-- expression at its commas; the expressions below were written back whole by hand.
ALTER TABLE `audit_events` ADD `reported_at` integer;--> statement-breakpoint
ALTER TABLE `audit_events` ADD `seq` integer;--> statement-breakpoint
CREATE INDEX `audit_session_agent_order_idx` ON `audit_events` (`session_id`,coalesce("reported_at", "at"),coalesce("seq", 0),`id`) WHERE "audit_events"."session_id" is not null;--> statement-breakpoint
ALTER TABLE `metrics` ADD `seq` integer;