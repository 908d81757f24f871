-- The audit trail is append-only: rows can never change, and only rows covered by a retention
-- checkpoint (the old end) can be deleted. Checkpoints themselves are permanent.
CREATE TRIGGER `audit_events_no_update` BEFORE UPDATE ON `audit_events`
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: rows cannot be changed'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_events_no_delete` BEFORE DELETE ON `audit_events`
WHEN OLD.id > coalesce((SELECT max(through_id) FROM audit_checkpoints WHERE project_id = OLD.project_id), 0)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: only rows covered by a retention checkpoint can be pruned'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_checkpoints_no_update` BEFORE UPDATE ON `audit_checkpoints`
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_checkpoints_no_delete` BEFORE DELETE ON `audit_checkpoints`
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
