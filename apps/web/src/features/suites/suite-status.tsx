import type { SuiteRun, SuiteRunStatus, TestStatus } from "@tower/shared";
import { countsText, doneOf, SUITE_RUN_STATUS_LABELS, TEST_STATUS_LABELS } from "./format";

/** A suite run's status as a badge: its words, and a colour and line style that repeat them (suites.css). */
export function SuiteRunStatusBadge({ status }: { status: SuiteRunStatus }) {
  return (
    <span className={`badge suite-${status}`} data-status={status}>
      {SUITE_RUN_STATUS_LABELS[status]}
    </span>
  );
}

/** One test's outcome as a badge. */
export function TestStatusBadge({ status }: { status: TestStatus }) {
  return (
    <span className={`badge test-${status}`} data-test-status={status}>
      {TEST_STATUS_LABELS[status]}
    </span>
  );
}

/**
 * The tests done against the total as a labelled bar, once the runner has announced the total;
 * before that (or for runners that announce it only at the end) an indeterminate bar while running.
 * The counts follow in words.
 */
export function SuiteProgress({ run, label }: { run: SuiteRun; label: string }) {
  const done = doneOf(run);
  // A runner may find more tests than it announced: the bar never runs past its end.
  const total = run.total === null ? null : Math.max(run.total, done);
  const running = run.status === "running";
  return (
    <span className="run-progress suite-progress" data-done={done} data-total={total ?? ""}>
      {total !== null && total > 0 ? (
        <progress max={total} value={done} aria-label={label} />
      ) : running ? (
        <progress aria-label={label} />
      ) : null}
      <span className="progress-text">
        {total !== null ? `${done} of ${total} · ` : running ? `${done} so far · ` : ""}
        <span className={total !== null || running ? "muted" : undefined}>{countsText(run)}</span>
      </span>
    </span>
  );
}
