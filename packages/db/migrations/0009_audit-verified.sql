CREATE TABLE `audit_verified` (
	`project_id` text PRIMARY KEY NOT NULL,
	`checkpoint_id` integer,
	`through_id` integer NOT NULL,
	`hash` text NOT NULL,
	`rows` integer NOT NULL,
	`verified_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
