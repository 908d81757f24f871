"use client";
import type { Run } from "@tower/shared";
import { hasRole } from "@tower/shared/domain";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useProject } from "~/features/shell";
import { errorMessage, isNotFound } from "~/lib/errors";
import { ErrorText, Loading } from "~/ui/states";
import { prettyJson, targetText } from "./format";
import { useCancelRun, useRetryRun, useRun } from "./run-hooks";
import { RunLogs } from "./run-logs";
import { attemptText, canCancel, canRetry, RunProgress, RunStatusBadge } from "./run-status";
import { RunTimeline } from "./run-timeline";
import { runHref, workHref } from "./work-header";

/** What the run is and where it stands: status, progress and its message, holder, attempt, target. */
function Summary({ run }: { run: Run }) {
  return (
    <section className="card" aria-labelledby="run-summary-title">
      <h2 id="run-summary-title">Progress</h2>
      <RunProgress run={run} label="Run progress" />
      {run.progressMessage ? (
        <p className="run-progress-message" data-progress-message>
          {run.progressMessage}
        </p>
      ) : null}
      <dl className="facts">
        <dt>Attempt</dt>
        <dd>{attemptText(run)}</dd>
        <dt>Agent</dt>
        <dd>{run.agentName ?? "none yet"}</dd>
        <dt>Target</dt>
        <dd>{targetText(run.target)}</dd>
        <dt>Priority</dt>
        <dd>{run.priority}</dd>
      </dl>
      {run.error ? (
        <>
          <h3>Error</h3>
          <p className="run-error" data-run-error>
            {run.error}
          </p>
        </>
      ) : null}
    </section>
  );
}

function JsonCard({ title, value, id }: { title: string; value: unknown; id: string }) {
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <pre className="metadata" tabIndex={0} role="region" aria-label={`${title} JSON`}>
        {prettyJson(value)}
      </pre>
    </section>
  );
}

/** One run, live: status, progress, log lines as they come, input and output, its timeline; Cancel and Retry. */
export function RunDetailPage({ id }: { id: string }) {
  const { current } = useProject();
  const projectId = current.projectId;
  const canOperate = hasRole(current.role, "operator");
  const run = useRun(projectId, id);
  const cancel = useCancelRun(projectId);
  const retry = useRetryRun(projectId);
  const router = useRouter();
  const runsHref = workHref("/work/runs", projectId);

  if (run.isPending) return <Loading label="Loading run…" />;
  if (!run.data)
    return (
      <div className="empty">
        <p role="alert">
          {isNotFound(run.error) ? "This run does not exist." : `Could not load this run: ${errorMessage(run.error)}`}
        </p>
        <p>
          <Link href={runsHref}>Back to runs</Link>
        </p>
      </div>
    );
  const r = run.data;

  return (
    <section className="page work run-detail">
      <p className="crumbs">
        <Link href={runsHref}>← Runs</Link>
      </p>
      <div className="page-head">
        <div className="title-row">
          <h1>Run of {r.taskName}</h1>
          <RunStatusBadge status={r.status} cancelling={r.cancelRequested && r.status !== "cancelled"} />
        </div>
        {canOperate ? (
          <div className="page-actions">
            {canCancel(r) ? (
              <button
                type="button"
                className="danger"
                disabled={cancel.isPending}
                onClick={() => cancel.mutate({ projectId, id })}
              >
                Cancel run
              </button>
            ) : null}
            {canRetry(r) ? (
              <button
                type="button"
                disabled={retry.isPending}
                onClick={() =>
                  retry.mutate(
                    { projectId, id },
                    {
                      onSuccess: (next) => router.push(runHref(next.id, projectId)),
                    },
                  )
                }
              >
                Retry
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
      {r.cancelRequested && r.status !== "cancelled" ? (
        <p className="notice" role="status">
          Cancelling: {r.agentName ?? "the agent"} has been told to stop.
        </p>
      ) : null}
      {cancel.error ? <ErrorText error={cancel.error} context="Could not cancel" /> : null}
      {retry.error ? <ErrorText error={retry.error} context="Could not retry" /> : null}
      {r.retryOf ? (
        <p className="muted">
          A retry of <Link href={runHref(r.retryOf, projectId)}>an earlier run</Link>.
        </p>
      ) : null}
      <div className="detail-grid">
        <div className="detail-main">
          <Summary run={r} />
          <RunLogs key={id} projectId={projectId} runId={id} logLines={r.logLines} />
          <JsonCard title="Output" value={r.output} id="run-output-title" />
          <JsonCard title="Input" value={r.input} id="run-input-title" />
        </div>
        <div className="detail-side">
          <RunTimeline run={r} />
        </div>
      </div>
    </section>
  );
}
