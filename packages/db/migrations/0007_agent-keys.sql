ALTER TABLE `api_keys` ADD `agent_names` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `agent_self_registration` integer DEFAULT true NOT NULL;--> statement-breakpoint
-- Keys made before the agent, manage and admin scopes: `write` acted as an operator and was what
-- agents and the import command used, so it becomes `manage` (the narrowest scope that keeps both
-- working); `read` stays `read`.
UPDATE `api_keys` SET `scopes` = '["manage"]' WHERE `scopes` LIKE '%"write"%';
