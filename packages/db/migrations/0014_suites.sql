CREATE TABLE `suite_output` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`stream` text NOT NULL,
	`line` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `suite_runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `suite_output_run_idx` ON `suite_output` (`run_id`,`id`);--> statement-breakpoint
CREATE TABLE `suite_results` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`name` text NOT NULL,
	`file` text,
	`status` text NOT NULL,
	`duration_ms` integer NOT NULL,
	`message` text,
	FOREIGN KEY (`run_id`) REFERENCES `suite_runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `suite_results_run_idx` ON `suite_results` (`run_id`,`id`);--> statement-breakpoint
CREATE INDEX `suite_results_status_idx` ON `suite_results` (`run_id`,`status`,`id`);--> statement-breakpoint
CREATE TABLE `suite_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`suite_name` text NOT NULL,
	`suite_title` text NOT NULL,
	`status` text NOT NULL,
	`started_by` text NOT NULL,
	`passed` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`skipped` integer DEFAULT 0 NOT NULL,
	`total` integer,
	`exit_code` integer,
	`signal` text,
	`problems` text DEFAULT '[]' NOT NULL,
	`output_lines` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`duration_ms` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `suite_runs_project_idx` ON `suite_runs` (`project_id`,`id`);--> statement-breakpoint
CREATE INDEX `suite_runs_suite_idx` ON `suite_runs` (`project_id`,`suite_name`,`id`);