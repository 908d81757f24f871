CREATE TABLE `run_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`at` integer NOT NULL,
	`line` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `run_logs_run_idx` ON `run_logs` (`run_id`,`id`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`task_id` text,
	`task_name` text NOT NULL,
	`status` text NOT NULL,
	`trigger` text NOT NULL,
	`target_kind` text NOT NULL,
	`target_value` text,
	`input` text NOT NULL,
	`priority` integer NOT NULL,
	`attempt` integer DEFAULT 1 NOT NULL,
	`max_attempts` integer NOT NULL,
	`backoff_seconds` integer NOT NULL,
	`max_duration_seconds` integer NOT NULL,
	`agent_id` text,
	`agent_name` text,
	`lease_expires_at` integer,
	`deadline_at` integer,
	`cancel_requested` integer DEFAULT false NOT NULL,
	`progress` integer,
	`progress_message` text,
	`output` text,
	`error` text,
	`scheduled_for` integer,
	`retry_of` text,
	`available_at` integer NOT NULL,
	`expires_at` integer,
	`log_lines` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`leased_at` integer,
	`started_at` integer,
	`finished_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `runs_project_idx` ON `runs` (`project_id`,`id`);--> statement-breakpoint
CREATE INDEX `runs_project_status_idx` ON `runs` (`project_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `runs_task_idx` ON `runs` (`task_id`,`id`);--> statement-breakpoint
CREATE INDEX `runs_agent_idx` ON `runs` (`agent_id`,`id`);--> statement-breakpoint
CREATE INDEX `runs_queue_idx` ON `runs` (`project_id`,`priority`,`id`) WHERE "runs"."status" = 'queued';--> statement-breakpoint
CREATE INDEX `runs_lease_idx` ON `runs` (`lease_expires_at`) WHERE "runs"."status" IN ('leased', 'running');--> statement-breakpoint
CREATE INDEX `runs_deadline_idx` ON `runs` (`deadline_at`) WHERE "runs"."status" IN ('leased', 'running');--> statement-breakpoint
CREATE INDEX `runs_queued_expiry_idx` ON `runs` (`expires_at`) WHERE "runs"."status" = 'queued' AND "runs"."expires_at" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `runs_schedule_fire_idx` ON `runs` (`task_id`,`scheduled_for`) WHERE "runs"."scheduled_for" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`target_kind` text NOT NULL,
	`target_value` text,
	`input` text NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer DEFAULT 1 NOT NULL,
	`backoff_seconds` integer NOT NULL,
	`max_duration_seconds` integer NOT NULL,
	`queued_ttl_seconds` integer,
	`cron` text,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`missed_fires` text NOT NULL,
	`paused` integer DEFAULT false NOT NULL,
	`next_fire_at` integer,
	`last_fired_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_project_name_idx` ON `tasks` (`project_id`,`name`);--> statement-breakpoint
CREATE INDEX `tasks_next_fire_idx` ON `tasks` (`next_fire_at`) WHERE "tasks"."next_fire_at" IS NOT NULL;