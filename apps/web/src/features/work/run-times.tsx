import { ago, duration } from "./format";

/**
 * When a run was made or started, and how long it ran: so far while it runs, in all once it ended,
 * nothing before it started. A task's run, a started workflow and a suite's run all show it so.
 */
export function RunTimes({
  at,
  startedAt,
  finishedAt,
  now,
  durationMs = null,
}: {
  /** The time shown ("3 min ago"): when it was made, or when it started. */
  at: number;
  startedAt: number | null;
  finishedAt: number | null;
  now: number;
  /** How long it ran as measured where it ran, when known; else from the times. */
  durationMs?: number | null;
}) {
  const ran = startedAt !== null ? (durationMs ?? (finishedAt ?? now) - startedAt) : null;
  return (
    <span className="task-when">
      <time dateTime={new Date(at).toISOString()} title={new Date(at).toLocaleString()}>
        {ago(at, now)}
      </time>
      {ran !== null ? (
        <small>{finishedAt !== null ? `took ${duration(ran)}` : `running ${duration(ran)}`}</small>
      ) : null}
    </span>
  );
}
