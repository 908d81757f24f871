-- Coarser rollups derived from the per-minute ones and kept equal to them by triggers: every
-- insert, update (an ingest upsert's increment) or delete of a `metric_rollups` / `latency_rollups`
-- row applies the same change, in the writer's own transaction, to its hour per agent and model and
-- to the whole project's minute and hour. Whoever writes the minute rollups, these cannot drift.
-- Deletes subtract with a plain UPDATE (never an insert), so a cascade that already removed the
-- coarser row is harmless, and remove a coarse row left with no report and no event (every minute
-- row ingest writes counts at least one). A rollup row's key never changes; the `_key_fixed`
-- guards make sure.

-- Existing databases first: the coarse rollups of every minute stored so far.
INSERT INTO `metric_hourly_rollups` (`project_id`, `agent_id`, `model`, `hour`, `count`, `successes`, `failures`, `tokens_in`, `tokens_out`, `cost_usd`, `execution_ms_sum`, `execution_count`, `events`)
SELECT m.`project_id`, m.`agent_id`, m.`model`, m.`minute` - m.`minute` % 3600000, sum(`count`), sum(`successes`), sum(`failures`), sum(`tokens_in`), sum(`tokens_out`), sum(`cost_usd`), sum(`execution_ms_sum`), sum(`execution_count`), sum(`events`)
FROM `metric_rollups` AS m GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
INSERT INTO `project_metric_rollups` (`project_id`, `minute`, `count`, `successes`, `failures`, `tokens_in`, `tokens_out`, `cost_usd`, `execution_ms_sum`, `execution_count`, `events`)
SELECT m.`project_id`, m.`minute`, sum(`count`), sum(`successes`), sum(`failures`), sum(`tokens_in`), sum(`tokens_out`), sum(`cost_usd`), sum(`execution_ms_sum`), sum(`execution_count`), sum(`events`)
FROM `metric_rollups` AS m GROUP BY 1, 2;
--> statement-breakpoint
INSERT INTO `project_metric_hourly_rollups` (`project_id`, `hour`, `count`, `successes`, `failures`, `tokens_in`, `tokens_out`, `cost_usd`, `execution_ms_sum`, `execution_count`, `events`)
SELECT m.`project_id`, m.`minute` - m.`minute` % 3600000, sum(`count`), sum(`successes`), sum(`failures`), sum(`tokens_in`), sum(`tokens_out`), sum(`cost_usd`), sum(`execution_ms_sum`), sum(`execution_count`), sum(`events`)
FROM `metric_rollups` AS m GROUP BY 1, 2;
--> statement-breakpoint
INSERT INTO `latency_hourly_rollups` (`project_id`, `agent_id`, `model`, `hour`, `bucket`, `count`)
SELECT m.`project_id`, m.`agent_id`, m.`model`, m.`minute` - m.`minute` % 3600000, m.`bucket`, sum(`count`)
FROM `latency_rollups` AS m GROUP BY 1, 2, 3, 4, 5;
--> statement-breakpoint
INSERT INTO `project_latency_rollups` (`project_id`, `minute`, `bucket`, `count`)
SELECT m.`project_id`, m.`minute`, m.`bucket`, sum(`count`)
FROM `latency_rollups` AS m GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO `project_latency_hourly_rollups` (`project_id`, `hour`, `bucket`, `count`)
SELECT m.`project_id`, m.`minute` - m.`minute` % 3600000, m.`bucket`, sum(`count`)
FROM `latency_rollups` AS m GROUP BY 1, 2, 3;
--> statement-breakpoint
CREATE TRIGGER `metric_rollups_coarse_insert` AFTER INSERT ON `metric_rollups`
BEGIN
  INSERT INTO `metric_hourly_rollups` (`project_id`, `agent_id`, `model`, `hour`, `count`, `successes`, `failures`, `tokens_in`, `tokens_out`, `cost_usd`, `execution_ms_sum`, `execution_count`, `events`)
  VALUES (NEW.`project_id`, NEW.`agent_id`, NEW.`model`, NEW.`minute` - NEW.`minute` % 3600000, NEW.`count`, NEW.`successes`, NEW.`failures`, NEW.`tokens_in`, NEW.`tokens_out`, NEW.`cost_usd`, NEW.`execution_ms_sum`, NEW.`execution_count`, NEW.`events`)
  ON CONFLICT (`project_id`, `hour`, `agent_id`, `model`) DO UPDATE SET
    `count` = `count` + excluded.`count`,
    `successes` = `successes` + excluded.`successes`,
    `failures` = `failures` + excluded.`failures`,
    `tokens_in` = `tokens_in` + excluded.`tokens_in`,
    `tokens_out` = `tokens_out` + excluded.`tokens_out`,
    `cost_usd` = `cost_usd` + excluded.`cost_usd`,
    `execution_ms_sum` = `execution_ms_sum` + excluded.`execution_ms_sum`,
    `execution_count` = `execution_count` + excluded.`execution_count`,
    `events` = `events` + excluded.`events`;
  INSERT INTO `project_metric_rollups` (`project_id`, `minute`, `count`, `successes`, `failures`, `tokens_in`, `tokens_out`, `cost_usd`, `execution_ms_sum`, `execution_count`, `events`)
  VALUES (NEW.`project_id`, NEW.`minute`, NEW.`count`, NEW.`successes`, NEW.`failures`, NEW.`tokens_in`, NEW.`tokens_out`, NEW.`cost_usd`, NEW.`execution_ms_sum`, NEW.`execution_count`, NEW.`events`)
  ON CONFLICT (`project_id`, `minute`) DO UPDATE SET
    `count` = `count` + excluded.`count`,
    `successes` = `successes` + excluded.`successes`,
    `failures` = `failures` + excluded.`failures`,
    `tokens_in` = `tokens_in` + excluded.`tokens_in`,
    `tokens_out` = `tokens_out` + excluded.`tokens_out`,
    `cost_usd` = `cost_usd` + excluded.`cost_usd`,
    `execution_ms_sum` = `execution_ms_sum` + excluded.`execution_ms_sum`,
    `execution_count` = `execution_count` + excluded.`execution_count`,
    `events` = `events` + excluded.`events`;
  INSERT INTO `project_metric_hourly_rollups` (`project_id`, `hour`, `count`, `successes`, `failures`, `tokens_in`, `tokens_out`, `cost_usd`, `execution_ms_sum`, `execution_count`, `events`)
  VALUES (NEW.`project_id`, NEW.`minute` - NEW.`minute` % 3600000, NEW.`count`, NEW.`successes`, NEW.`failures`, NEW.`tokens_in`, NEW.`tokens_out`, NEW.`cost_usd`, NEW.`execution_ms_sum`, NEW.`execution_count`, NEW.`events`)
  ON CONFLICT (`project_id`, `hour`) DO UPDATE SET
    `count` = `count` + excluded.`count`,
    `successes` = `successes` + excluded.`successes`,
    `failures` = `failures` + excluded.`failures`,
    `tokens_in` = `tokens_in` + excluded.`tokens_in`,
    `tokens_out` = `tokens_out` + excluded.`tokens_out`,
    `cost_usd` = `cost_usd` + excluded.`cost_usd`,
    `execution_ms_sum` = `execution_ms_sum` + excluded.`execution_ms_sum`,
    `execution_count` = `execution_count` + excluded.`execution_count`,
    `events` = `events` + excluded.`events`;
END;
--> statement-breakpoint
CREATE TRIGGER `metric_rollups_coarse_update` AFTER UPDATE ON `metric_rollups`
BEGIN
  INSERT INTO `metric_hourly_rollups` (`project_id`, `agent_id`, `model`, `hour`, `count`, `successes`, `failures`, `tokens_in`, `tokens_out`, `cost_usd`, `execution_ms_sum`, `execution_count`, `events`)
  VALUES (NEW.`project_id`, NEW.`agent_id`, NEW.`model`, NEW.`minute` - NEW.`minute` % 3600000, NEW.`count` - OLD.`count`, NEW.`successes` - OLD.`successes`, NEW.`failures` - OLD.`failures`, NEW.`tokens_in` - OLD.`tokens_in`, NEW.`tokens_out` - OLD.`tokens_out`, NEW.`cost_usd` - OLD.`cost_usd`, NEW.`execution_ms_sum` - OLD.`execution_ms_sum`, NEW.`execution_count` - OLD.`execution_count`, NEW.`events` - OLD.`events`)
  ON CONFLICT (`project_id`, `hour`, `agent_id`, `model`) DO UPDATE SET
    `count` = `count` + excluded.`count`,
    `successes` = `successes` + excluded.`successes`,
    `failures` = `failures` + excluded.`failures`,
    `tokens_in` = `tokens_in` + excluded.`tokens_in`,
    `tokens_out` = `tokens_out` + excluded.`tokens_out`,
    `cost_usd` = `cost_usd` + excluded.`cost_usd`,
    `execution_ms_sum` = `execution_ms_sum` + excluded.`execution_ms_sum`,
    `execution_count` = `execution_count` + excluded.`execution_count`,
    `events` = `events` + excluded.`events`;
  INSERT INTO `project_metric_rollups` (`project_id`, `minute`, `count`, `successes`, `failures`, `tokens_in`, `tokens_out`, `cost_usd`, `execution_ms_sum`, `execution_count`, `events`)
  VALUES (NEW.`project_id`, NEW.`minute`, NEW.`count` - OLD.`count`, NEW.`successes` - OLD.`successes`, NEW.`failures` - OLD.`failures`, NEW.`tokens_in` - OLD.`tokens_in`, NEW.`tokens_out` - OLD.`tokens_out`, NEW.`cost_usd` - OLD.`cost_usd`, NEW.`execution_ms_sum` - OLD.`execution_ms_sum`, NEW.`execution_count` - OLD.`execution_count`, NEW.`events` - OLD.`events`)
  ON CONFLICT (`project_id`, `minute`) DO UPDATE SET
    `count` = `count` + excluded.`count`,
    `successes` = `successes` + excluded.`successes`,
    `failures` = `failures` + excluded.`failures`,
    `tokens_in` = `tokens_in` + excluded.`tokens_in`,
    `tokens_out` = `tokens_out` + excluded.`tokens_out`,
    `cost_usd` = `cost_usd` + excluded.`cost_usd`,
    `execution_ms_sum` = `execution_ms_sum` + excluded.`execution_ms_sum`,
    `execution_count` = `execution_count` + excluded.`execution_count`,
    `events` = `events` + excluded.`events`;
  INSERT INTO `project_metric_hourly_rollups` (`project_id`, `hour`, `count`, `successes`, `failures`, `tokens_in`, `tokens_out`, `cost_usd`, `execution_ms_sum`, `execution_count`, `events`)
  VALUES (NEW.`project_id`, NEW.`minute` - NEW.`minute` % 3600000, NEW.`count` - OLD.`count`, NEW.`successes` - OLD.`successes`, NEW.`failures` - OLD.`failures`, NEW.`tokens_in` - OLD.`tokens_in`, NEW.`tokens_out` - OLD.`tokens_out`, NEW.`cost_usd` - OLD.`cost_usd`, NEW.`execution_ms_sum` - OLD.`execution_ms_sum`, NEW.`execution_count` - OLD.`execution_count`, NEW.`events` - OLD.`events`)
  ON CONFLICT (`project_id`, `hour`) DO UPDATE SET
    `count` = `count` + excluded.`count`,
    `successes` = `successes` + excluded.`successes`,
    `failures` = `failures` + excluded.`failures`,
    `tokens_in` = `tokens_in` + excluded.`tokens_in`,
    `tokens_out` = `tokens_out` + excluded.`tokens_out`,
    `cost_usd` = `cost_usd` + excluded.`cost_usd`,
    `execution_ms_sum` = `execution_ms_sum` + excluded.`execution_ms_sum`,
    `execution_count` = `execution_count` + excluded.`execution_count`,
    `events` = `events` + excluded.`events`;
END;
--> statement-breakpoint
CREATE TRIGGER `metric_rollups_coarse_delete` AFTER DELETE ON `metric_rollups`
BEGIN
  UPDATE `metric_hourly_rollups` SET
    `count` = `count` - OLD.`count`,
    `successes` = `successes` - OLD.`successes`,
    `failures` = `failures` - OLD.`failures`,
    `tokens_in` = `tokens_in` - OLD.`tokens_in`,
    `tokens_out` = `tokens_out` - OLD.`tokens_out`,
    `cost_usd` = `cost_usd` - OLD.`cost_usd`,
    `execution_ms_sum` = `execution_ms_sum` - OLD.`execution_ms_sum`,
    `execution_count` = `execution_count` - OLD.`execution_count`,
    `events` = `events` - OLD.`events`
  WHERE `project_id` = OLD.`project_id` AND `agent_id` = OLD.`agent_id` AND `model` = OLD.`model` AND `hour` = OLD.`minute` - OLD.`minute` % 3600000;
  DELETE FROM `metric_hourly_rollups` WHERE `project_id` = OLD.`project_id` AND `agent_id` = OLD.`agent_id` AND `model` = OLD.`model` AND `hour` = OLD.`minute` - OLD.`minute` % 3600000 AND `count` = 0 AND `events` = 0;
  UPDATE `project_metric_rollups` SET
    `count` = `count` - OLD.`count`,
    `successes` = `successes` - OLD.`successes`,
    `failures` = `failures` - OLD.`failures`,
    `tokens_in` = `tokens_in` - OLD.`tokens_in`,
    `tokens_out` = `tokens_out` - OLD.`tokens_out`,
    `cost_usd` = `cost_usd` - OLD.`cost_usd`,
    `execution_ms_sum` = `execution_ms_sum` - OLD.`execution_ms_sum`,
    `execution_count` = `execution_count` - OLD.`execution_count`,
    `events` = `events` - OLD.`events`
  WHERE `project_id` = OLD.`project_id` AND `minute` = OLD.`minute`;
  DELETE FROM `project_metric_rollups` WHERE `project_id` = OLD.`project_id` AND `minute` = OLD.`minute` AND `count` = 0 AND `events` = 0;
  UPDATE `project_metric_hourly_rollups` SET
    `count` = `count` - OLD.`count`,
    `successes` = `successes` - OLD.`successes`,
    `failures` = `failures` - OLD.`failures`,
    `tokens_in` = `tokens_in` - OLD.`tokens_in`,
    `tokens_out` = `tokens_out` - OLD.`tokens_out`,
    `cost_usd` = `cost_usd` - OLD.`cost_usd`,
    `execution_ms_sum` = `execution_ms_sum` - OLD.`execution_ms_sum`,
    `execution_count` = `execution_count` - OLD.`execution_count`,
    `events` = `events` - OLD.`events`
  WHERE `project_id` = OLD.`project_id` AND `hour` = OLD.`minute` - OLD.`minute` % 3600000;
  DELETE FROM `project_metric_hourly_rollups` WHERE `project_id` = OLD.`project_id` AND `hour` = OLD.`minute` - OLD.`minute` % 3600000 AND `count` = 0 AND `events` = 0;
END;
--> statement-breakpoint
CREATE TRIGGER `metric_rollups_key_fixed` BEFORE UPDATE OF `project_id`, `agent_id`, `model`, `minute` ON `metric_rollups`
WHEN NEW.`project_id` IS NOT OLD.`project_id` OR NEW.`agent_id` IS NOT OLD.`agent_id` OR NEW.`model` IS NOT OLD.`model` OR NEW.`minute` IS NOT OLD.`minute`
BEGIN SELECT RAISE(ABORT, 'metric_rollups: a rollup row''s key cannot change'); END;
--> statement-breakpoint
CREATE TRIGGER `latency_rollups_coarse_insert` AFTER INSERT ON `latency_rollups`
BEGIN
  INSERT INTO `latency_hourly_rollups` (`project_id`, `agent_id`, `model`, `hour`, `bucket`, `count`)
  VALUES (NEW.`project_id`, NEW.`agent_id`, NEW.`model`, NEW.`minute` - NEW.`minute` % 3600000, NEW.`bucket`, NEW.`count`)
  ON CONFLICT (`project_id`, `hour`, `agent_id`, `model`, `bucket`) DO UPDATE SET
    `count` = `count` + excluded.`count`;
  INSERT INTO `project_latency_rollups` (`project_id`, `minute`, `bucket`, `count`)
  VALUES (NEW.`project_id`, NEW.`minute`, NEW.`bucket`, NEW.`count`)
  ON CONFLICT (`project_id`, `minute`, `bucket`) DO UPDATE SET
    `count` = `count` + excluded.`count`;
  INSERT INTO `project_latency_hourly_rollups` (`project_id`, `hour`, `bucket`, `count`)
  VALUES (NEW.`project_id`, NEW.`minute` - NEW.`minute` % 3600000, NEW.`bucket`, NEW.`count`)
  ON CONFLICT (`project_id`, `hour`, `bucket`) DO UPDATE SET
    `count` = `count` + excluded.`count`;
END;
--> statement-breakpoint
CREATE TRIGGER `latency_rollups_coarse_update` AFTER UPDATE ON `latency_rollups`
BEGIN
  INSERT INTO `latency_hourly_rollups` (`project_id`, `agent_id`, `model`, `hour`, `bucket`, `count`)
  VALUES (NEW.`project_id`, NEW.`agent_id`, NEW.`model`, NEW.`minute` - NEW.`minute` % 3600000, NEW.`bucket`, NEW.`count` - OLD.`count`)
  ON CONFLICT (`project_id`, `hour`, `agent_id`, `model`, `bucket`) DO UPDATE SET
    `count` = `count` + excluded.`count`;
  INSERT INTO `project_latency_rollups` (`project_id`, `minute`, `bucket`, `count`)
  VALUES (NEW.`project_id`, NEW.`minute`, NEW.`bucket`, NEW.`count` - OLD.`count`)
  ON CONFLICT (`project_id`, `minute`, `bucket`) DO UPDATE SET
    `count` = `count` + excluded.`count`;
  INSERT INTO `project_latency_hourly_rollups` (`project_id`, `hour`, `bucket`, `count`)
  VALUES (NEW.`project_id`, NEW.`minute` - NEW.`minute` % 3600000, NEW.`bucket`, NEW.`count` - OLD.`count`)
  ON CONFLICT (`project_id`, `hour`, `bucket`) DO UPDATE SET
    `count` = `count` + excluded.`count`;
END;
--> statement-breakpoint
CREATE TRIGGER `latency_rollups_coarse_delete` AFTER DELETE ON `latency_rollups`
BEGIN
  UPDATE `latency_hourly_rollups` SET
    `count` = `count` - OLD.`count`
  WHERE `project_id` = OLD.`project_id` AND `agent_id` = OLD.`agent_id` AND `model` = OLD.`model` AND `hour` = OLD.`minute` - OLD.`minute` % 3600000 AND `bucket` = OLD.`bucket`;
  DELETE FROM `latency_hourly_rollups` WHERE `project_id` = OLD.`project_id` AND `agent_id` = OLD.`agent_id` AND `model` = OLD.`model` AND `hour` = OLD.`minute` - OLD.`minute` % 3600000 AND `bucket` = OLD.`bucket` AND `count` = 0;
  UPDATE `project_latency_rollups` SET
    `count` = `count` - OLD.`count`
  WHERE `project_id` = OLD.`project_id` AND `minute` = OLD.`minute` AND `bucket` = OLD.`bucket`;
  DELETE FROM `project_latency_rollups` WHERE `project_id` = OLD.`project_id` AND `minute` = OLD.`minute` AND `bucket` = OLD.`bucket` AND `count` = 0;
  UPDATE `project_latency_hourly_rollups` SET
    `count` = `count` - OLD.`count`
  WHERE `project_id` = OLD.`project_id` AND `hour` = OLD.`minute` - OLD.`minute` % 3600000 AND `bucket` = OLD.`bucket`;
  DELETE FROM `project_latency_hourly_rollups` WHERE `project_id` = OLD.`project_id` AND `hour` = OLD.`minute` - OLD.`minute` % 3600000 AND `bucket` = OLD.`bucket` AND `count` = 0;
END;
--> statement-breakpoint
CREATE TRIGGER `latency_rollups_key_fixed` BEFORE UPDATE OF `project_id`, `agent_id`, `model`, `minute`, `bucket` ON `latency_rollups`
WHEN NEW.`project_id` IS NOT OLD.`project_id` OR NEW.`agent_id` IS NOT OLD.`agent_id` OR NEW.`model` IS NOT OLD.`model` OR NEW.`minute` IS NOT OLD.`minute` OR NEW.`bucket` IS NOT OLD.`bucket`
BEGIN SELECT RAISE(ABORT, 'latency_rollups: a rollup row''s key cannot change'); END;
