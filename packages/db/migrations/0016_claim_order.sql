DROP INDEX `runs_queue_idx`;--> statement-breakpoint
CREATE INDEX `runs_queue_idx` ON `runs` (`project_id`,priority DESC,`id`) WHERE "runs"."status" = 'queued';