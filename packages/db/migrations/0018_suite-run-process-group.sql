ALTER TABLE `suite_runs` ADD `process_group` integer;--> statement-breakpoint
ALTER TABLE `suite_runs` ADD `process_start_time` integer;