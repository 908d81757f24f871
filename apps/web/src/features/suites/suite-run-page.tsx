"use client";
import type { SuiteRun } from "@tower/shared";
import { hasRole } from "@tower/shared/domain";
import Link from "next/link";
import { useProject } from "~/features/shell";
import { duration, workHref } from "~/features/work";
import { useNow } from "~/lib/approval-feed";
import { errorMessage, isNotFound } from "~/lib/errors";
import { dateTimeOf } from "~/lib/format";
import { ErrorText, Loading } from "~/ui/states";
import { useCancelSuiteRun, useSuiteRun } from "./suite-hooks";
import { SuiteOutput } from "./suite-output";
import { SuiteResults } from "./suite-results";
import { SuiteProgress, SuiteRunStatusBadge } from "./suite-status";
import "./suites.css";

/** The tests done against the total, and each count. */
function Progress({ run }: { run: SuiteRun }) {
  return (
    <section className="card" aria-labelledby="suite-progress-title">
      <h2 id="suite-progress-title">Progress</h2>
      <div className="suite-progress-row">
        <SuiteProgress run={run} label="Suite progress" />
      </div>
      <dl className="stats suite-counts">
        <dt>Passed</dt>
        <dd data-count="passed">{run.passed}</dd>
        <dt>Failed</dt>
        <dd data-count="failed">{run.failed}</dd>
        <dt>Skipped</dt>
        <dd data-count="skipped">{run.skipped}</dd>
        <dt>Total</dt>
        <dd data-count="total">{run.total ?? (run.status === "running" ? "not known yet" : "—")}</dd>
      </dl>
    </section>
  );
}

/** Who started it and when, how long it ran (so far), and how its command ended. */
function Facts({ run, now }: { run: SuiteRun; now: number }) {
  const ran = run.durationMs ?? (run.finishedAt ?? now) - run.startedAt;
  return (
    <section className="card" aria-labelledby="suite-facts-title">
      <h2 id="suite-facts-title">Details</h2>
      <dl className="facts">
        <dt>Suite</dt>
        <dd>
          <code>{run.suiteName}</code>
        </dd>
        <dt>Started by</dt>
        <dd>{run.startedBy}</dd>
        <dt>Started</dt>
        <dd>
          <time dateTime={new Date(run.startedAt).toISOString()}>{dateTimeOf(run.startedAt)}</time>
        </dd>
        <dt>{run.status === "running" ? "Running for" : "Took"}</dt>
        <dd>{duration(ran)}</dd>
        {run.finishedAt !== null ? (
          <>
            <dt>Exit</dt>
            <dd>
              {run.exitCode !== null ? `code ${run.exitCode}` : "no exit code"}
              {run.signal ? `, ${run.signal}` : ""}
            </dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

/** What kept results from being read, or why the run ended as it did. */
function Problems({ problems }: { problems: string[] }) {
  return (
    <section className="card" aria-labelledby="suite-problems-title">
      <h2 id="suite-problems-title">Problems</h2>
      <ul className="problems" data-problems>
        {problems.map((problem, index) => (
          <li key={index}>{problem}</li>
        ))}
      </ul>
    </section>
  );
}

/**
 * One suite run, live: status, the progress bar against the total once known, counts, results as they
 * come (failures with their message), the command's output; Cancel while it runs.
 */
export function SuiteRunPage({ id }: { id: string }) {
  const { current } = useProject();
  const projectId = current.projectId;
  const canOperate = hasRole(current.role, "operator");
  const run = useSuiteRun(projectId, id);
  const cancel = useCancelSuiteRun();
  const running = run.data?.status === "running";
  const now = useNow(1_000, running);
  const suitesHref = workHref("/work/suites", projectId);

  if (run.isPending) return <Loading label="Loading suite run…" />;
  if (!run.data)
    return (
      <div className="empty">
        <p role="alert">
          {isNotFound(run.error)
            ? "This suite run does not exist."
            : `Could not load this suite run: ${errorMessage(run.error)}`}
        </p>
        <p>
          <Link href={suitesHref}>Back to test suites</Link>
        </p>
      </div>
    );
  const r = run.data;

  return (
    <section className="page work suite-run">
      <p className="crumbs">
        <Link href={suitesHref}>← Test suites</Link>
      </p>
      <div className="page-head">
        <div className="title-row">
          <h1>{r.suiteTitle}</h1>
          <SuiteRunStatusBadge status={r.status} />
        </div>
        {canOperate && running ? (
          <div className="page-actions">
            <button
              type="button"
              className="danger"
              disabled={cancel.isPending || cancel.isSuccess}
              onClick={() => cancel.mutate({ projectId, id })}
            >
              Cancel run
            </button>
          </div>
        ) : null}
      </div>
      {/* The server stops the command's whole process group; the run ends `cancelled` once it is gone. */}
      {cancel.isSuccess && running ? (
        <p className="notice" role="status">
          Cancelling: the suite&apos;s processes have been told to stop.
        </p>
      ) : null}
      {cancel.error ? <ErrorText error={cancel.error} context="Could not cancel" /> : null}
      <div className="detail-grid">
        <div className="detail-main">
          <Progress run={r} />
          <SuiteResults key={id} projectId={projectId} run={r} />
          <SuiteOutput
            key={id}
            projectId={projectId}
            runId={id}
            outputLines={r.outputLines}
            running={r.status === "running"}
          />
        </div>
        <div className="detail-side">
          <Facts run={r} now={now} />
          {r.problems.length > 0 ? <Problems problems={r.problems} /> : null}
        </div>
      </div>
    </section>
  );
}
