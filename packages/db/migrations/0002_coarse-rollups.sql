CREATE TABLE `latency_hourly_rollups` (
	`project_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`model` text DEFAULT '' NOT NULL,
	`hour` integer NOT NULL,
	`bucket` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`project_id`, `hour`, `agent_id`, `model`, `bucket`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `metric_hourly_rollups` (
	`project_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`model` text DEFAULT '' NOT NULL,
	`hour` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`successes` integer DEFAULT 0 NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`tokens_in` integer DEFAULT 0 NOT NULL,
	`tokens_out` integer DEFAULT 0 NOT NULL,
	`cost_usd` real DEFAULT 0 NOT NULL,
	`execution_ms_sum` integer DEFAULT 0 NOT NULL,
	`execution_count` integer DEFAULT 0 NOT NULL,
	`events` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`project_id`, `hour`, `agent_id`, `model`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `project_latency_hourly_rollups` (
	`project_id` text NOT NULL,
	`hour` integer NOT NULL,
	`bucket` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`project_id`, `hour`, `bucket`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `project_latency_rollups` (
	`project_id` text NOT NULL,
	`minute` integer NOT NULL,
	`bucket` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`project_id`, `minute`, `bucket`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `project_metric_hourly_rollups` (
	`project_id` text NOT NULL,
	`hour` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`successes` integer DEFAULT 0 NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`tokens_in` integer DEFAULT 0 NOT NULL,
	`tokens_out` integer DEFAULT 0 NOT NULL,
	`cost_usd` real DEFAULT 0 NOT NULL,
	`execution_ms_sum` integer DEFAULT 0 NOT NULL,
	`execution_count` integer DEFAULT 0 NOT NULL,
	`events` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`project_id`, `hour`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `project_metric_rollups` (
	`project_id` text NOT NULL,
	`minute` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`successes` integer DEFAULT 0 NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`tokens_in` integer DEFAULT 0 NOT NULL,
	`tokens_out` integer DEFAULT 0 NOT NULL,
	`cost_usd` real DEFAULT 0 NOT NULL,
	`execution_ms_sum` integer DEFAULT 0 NOT NULL,
	`execution_count` integer DEFAULT 0 NOT NULL,
	`events` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`project_id`, `minute`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `audit_project_operation_decision_idx` ON `audit_events` (`project_id`,`operation`,`decision`,`id`);