-- Every insert, update or delete of a minute rollup raises its project's hour in `rollup_revisions`,
-- in the writer's own transaction, so readers can cache an hour's rollups for as long as its
-- revision is unchanged (late reports with an old `at`, deleted agents and every other writer
-- included). Inserts and updates upsert; deletes only raise an existing row (never insert), so a
-- project's cascade, which may already have removed its revisions, is harmless. That is why every
-- hour already holding minute rollups gets its row here first: from then on any write creates it.
INSERT INTO `rollup_revisions` (`project_id`, `hour`, `revision`)
SELECT `project_id`, `minute` - `minute` % 3600000, 1 FROM `metric_rollups`
UNION SELECT `project_id`, `minute` - `minute` % 3600000, 1 FROM `latency_rollups`;
--> statement-breakpoint
CREATE TRIGGER `metric_rollups_revision_insert` AFTER INSERT ON `metric_rollups`
BEGIN
  INSERT INTO `rollup_revisions` (`project_id`, `hour`) VALUES (NEW.`project_id`, NEW.`minute` - NEW.`minute` % 3600000)
  ON CONFLICT (`project_id`, `hour`) DO UPDATE SET `revision` = `revision` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `metric_rollups_revision_update` AFTER UPDATE ON `metric_rollups`
BEGIN
  INSERT INTO `rollup_revisions` (`project_id`, `hour`) VALUES (NEW.`project_id`, NEW.`minute` - NEW.`minute` % 3600000)
  ON CONFLICT (`project_id`, `hour`) DO UPDATE SET `revision` = `revision` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `metric_rollups_revision_delete` AFTER DELETE ON `metric_rollups`
BEGIN
  UPDATE `rollup_revisions` SET `revision` = `revision` + 1
  WHERE `project_id` = OLD.`project_id` AND `hour` = OLD.`minute` - OLD.`minute` % 3600000;
END;
--> statement-breakpoint
CREATE TRIGGER `latency_rollups_revision_insert` AFTER INSERT ON `latency_rollups`
BEGIN
  INSERT INTO `rollup_revisions` (`project_id`, `hour`) VALUES (NEW.`project_id`, NEW.`minute` - NEW.`minute` % 3600000)
  ON CONFLICT (`project_id`, `hour`) DO UPDATE SET `revision` = `revision` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `latency_rollups_revision_update` AFTER UPDATE ON `latency_rollups`
BEGIN
  INSERT INTO `rollup_revisions` (`project_id`, `hour`) VALUES (NEW.`project_id`, NEW.`minute` - NEW.`minute` % 3600000)
  ON CONFLICT (`project_id`, `hour`) DO UPDATE SET `revision` = `revision` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `latency_rollups_revision_delete` AFTER DELETE ON `latency_rollups`
BEGIN
  UPDATE `rollup_revisions` SET `revision` = `revision` + 1
  WHERE `project_id` = OLD.`project_id` AND `hour` = OLD.`minute` - OLD.`minute` % 3600000;
END;
