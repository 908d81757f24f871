ALTER TABLE `approvals` ADD `requested_by_id` text;--> statement-breakpoint
ALTER TABLE `approvals` ADD `requested_by_name` text;