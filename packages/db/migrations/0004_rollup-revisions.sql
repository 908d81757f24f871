CREATE TABLE `rollup_revisions` (
	`project_id` text NOT NULL,
	`hour` integer NOT NULL,
	`revision` integer DEFAULT 1 NOT NULL,
	PRIMARY KEY(`project_id`, `hour`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `budget_alerts_project_period_idx` ON `budget_alerts` (`project_id`,`period`,`budget`,`threshold`,`agent_id`);