CREATE TABLE `approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`agent_name` text NOT NULL,
	`session_id` text,
	`tool` text NOT NULL,
	`operation` text NOT NULL,
	`path` text,
	`input` text NOT NULL,
	`input_hash` text NOT NULL,
	`reason` text NOT NULL,
	`rule_id` text,
	`policy_version` integer NOT NULL,
	`estimated_cost_usd` real,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`decided_at` integer,
	`decider_id` text,
	`decider_name` text,
	`comment` text DEFAULT '' NOT NULL,
	`grant_id` text,
	`used_at` integer,
	`requested_with` text,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `approvals_project_idx` ON `approvals` (`project_id`,`id`);--> statement-breakpoint
CREATE INDEX `approvals_project_status_idx` ON `approvals` (`project_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `approvals_agent_idx` ON `approvals` (`agent_id`,`id`);--> statement-breakpoint
CREATE INDEX `approvals_request_idx` ON `approvals` (`agent_id`,`input_hash`,`status`);--> statement-breakpoint
CREATE INDEX `approvals_pending_expiry_idx` ON `approvals` (`expires_at`) WHERE "approvals"."status" = 'pending';--> statement-breakpoint
CREATE TABLE `policy_grants` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`tool` text NOT NULL,
	`approval_id` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`created_by_id` text,
	`created_by_name` text NOT NULL,
	`revoked_at` integer,
	`revoked_by_name` text,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `policy_grants_project_idx` ON `policy_grants` (`project_id`,`id`);--> statement-breakpoint
CREATE INDEX `policy_grants_agent_tool_idx` ON `policy_grants` (`agent_id`,`tool`,`expires_at`);--> statement-breakpoint
CREATE TABLE `policy_versions` (
	`project_id` text NOT NULL,
	`version` integer NOT NULL,
	`document` text NOT NULL,
	`summary` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`actor_name` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `version`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
