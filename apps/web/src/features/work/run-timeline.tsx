import type { Run } from "@tower/shared";
import { dateTimeOf } from "~/lib/format";
import { duration, RUN_STATUS_LABELS } from "./format";

interface Step {
  label: string;
  at: number | null;
  detail?: string | undefined;
}

function steps(run: Run): Step[] {
  const ended = run.finishedAt !== null;
  return [
    {
      label: `Created (${run.trigger})`,
      at: run.createdAt,
      detail: run.scheduledFor !== null ? `for the ${dateTimeOf(run.scheduledFor)} fire` : undefined,
    },
    ...(run.availableAt > run.createdAt
      ? [{ label: "Available to agents", at: run.availableAt, detail: "after the backoff" }]
      : []),
    { label: "Leased", at: run.leasedAt, detail: run.agentName ? `by ${run.agentName}` : undefined },
    { label: "Started", at: run.startedAt },
    {
      label: ended ? `Finished: ${RUN_STATUS_LABELS[run.status]}` : "Finished",
      at: run.finishedAt,
      detail: ended && run.startedAt !== null ? `after ${duration(run.finishedAt! - run.startedAt)}` : undefined,
    },
  ];
}

/** The run's transitions in order, each with its time; those still to come are marked as such. */
export function RunTimeline({ run }: { run: Run }) {
  return (
    <section className="card" aria-labelledby="run-timeline-title">
      <h2 id="run-timeline-title">Timeline</h2>
      <ol className="run-timeline">
        {steps(run).map((step) => (
          <li key={step.label} data-done={step.at !== null}>
            <strong>{step.label}</strong>{" "}
            {step.at !== null ? (
              <time dateTime={new Date(step.at).toISOString()}>{dateTimeOf(step.at)}</time>
            ) : (
              <span>not yet</span>
            )}
            {step.detail ? <span className="muted"> — {step.detail}</span> : null}
          </li>
        ))}
      </ol>
      {run.expiresAt !== null && run.status === "queued" ? (
        <p className="muted">Expires unclaimed at {dateTimeOf(run.expiresAt)}.</p>
      ) : null}
    </section>
  );
}
