import type { Run, RunStatus } from "@tower/shared";
import { isFinalRunStatus } from "@tower/shared/domain";
import { RUN_STATUS_LABELS } from "./format";

/** A run's status as a badge: its words, and a colour and line style that repeat them. */
export function RunStatusBadge({ status, cancelling = false }: { status: RunStatus; cancelling?: boolean }) {
  return (
    <span className={`badge run-${status}`} data-status={status}>
      {RUN_STATUS_LABELS[status]}
      {cancelling ? ", cancelling" : ""}
    </span>
  );
}

/** "Attempt 2 of 3". */
export function attemptText(run: Pick<Run, "attempt" | "maxAttempts">): string {
  return `${run.attempt}/${run.maxAttempts}`;
}

/**
 * The run's progress as a labelled bar with its percentage in text; a run that succeeded is at 100 %,
 * one that never reported any shows "—".
 */
export function RunProgress({ run, label }: { run: Run; label: string }) {
  const value = run.status === "succeeded" ? 100 : run.progress;
  if (value === null) return <span className="muted">—</span>;
  return (
    <span className="run-progress" data-progress={value}>
      <progress max={100} value={value} aria-label={label} />
      <span className="progress-text">{value} %</span>
    </span>
  );
}

/** Whether Cancel applies: the run has not ended and no cancel is on its way. */
export const canCancel = (run: Run) => !isFinalRunStatus(run.status) && !run.cancelRequested;
/** Whether Retry applies: the run has ended and its task still exists. */
export const canRetry = (run: Run) => isFinalRunStatus(run.status) && run.taskId !== null;
