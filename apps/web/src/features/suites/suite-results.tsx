"use client";
import type { SuiteRun, SuiteTestResult, TestStatus } from "@tower/shared";
import { useMemo, useState } from "react";
import { ErrorText, Loading } from "~/ui/states";
import { doneOf, testDuration } from "./format";
import { useSuiteResults } from "./suite-hooks";
import { TestStatusBadge } from "./suite-status";
import { useResultsFilter } from "./use-suite-view";

/** Rows drawn at first and per "Show more": a run may report tens of thousands of tests. */
const SHOW_STEP = 500;

const FILTERS: { status: TestStatus | ""; label: string }[] = [
  { status: "", label: "All" },
  { status: "failed", label: "Failed" },
  { status: "passed", label: "Passed" },
  { status: "skipped", label: "Skipped" },
];

const countOf = (run: SuiteRun, status: TestStatus | "") => (status === "" ? doneOf(run) : run[status]);

/** One test: its outcome, name, file and time; a failure's message below it, a skip's reason beside it. */
function ResultItem({ result }: { result: SuiteTestResult }) {
  return (
    <li className="suite-result" data-result={result.name} data-status={result.status}>
      <div className="suite-result-head">
        <TestStatusBadge status={result.status} />
        <span className="suite-result-name">{result.name}</span>
        <span className="muted suite-result-time">{testDuration(result.durationMs)}</span>
      </div>
      {result.file ? <small className="muted suite-result-file">{result.file}</small> : null}
      {result.message && result.status === "failed" ? (
        <details open className="suite-failure">
          <summary>Why it failed</summary>
          <pre data-failure-message>{result.message}</pre>
        </details>
      ) : result.message ? (
        <small className="muted suite-result-reason">{result.message}</small>
      ) : null}
    </li>
  );
}

/**
 * The results of one status (or all of them, failures first), read on as the run's live count of
 * them grows. Keyed by status by its parent: another filter starts a list of its own.
 */
function ResultRows({ projectId, run, status }: { projectId: string; run: SuiteRun; status: TestStatus | "" }) {
  const expected = countOf(run, status);
  const results = useSuiteResults(projectId, run.id, status || undefined, expected);
  const [shown, setShown] = useState(SHOW_STEP);
  const ordered = useMemo(
    () =>
      status === ""
        ? [...results.rows.filter((r) => r.status === "failed"), ...results.rows.filter((r) => r.status !== "failed")]
        : results.rows,
    [results.rows, status],
  );

  return (
    <>
      {results.error ? (
        <ErrorText error={results.error} context="Could not load the results">
          {" "}
          <button type="button" className="link-button" onClick={() => void results.retry()}>
            Try again
          </button>
        </ErrorText>
      ) : null}
      {expected === 0 ? (
        <p className="muted">
          {status === "" ? "No results yet." : `No ${status} tests${run.status === "running" ? " yet" : ""}.`}
        </p>
      ) : ordered.length === 0 && results.loading ? (
        <Loading label="Loading the results…" />
      ) : (
        <ol className="plain suite-results" aria-label={status === "" ? "Test results" : `${status} tests`}>
          {ordered.slice(0, shown).map((result) => (
            <ResultItem key={result.id} result={result} />
          ))}
        </ol>
      )}
      {ordered.length > shown ? (
        <div className="load-more">
          <button type="button" onClick={() => setShown(shown + SHOW_STEP)}>
            Show more ({ordered.length - shown} more)
          </button>
        </div>
      ) : null}
    </>
  );
}

/** The run's results with a filter by outcome (each with its live count); failed tests show their message. */
export function SuiteResults({ projectId, run }: { projectId: string; run: SuiteRun }) {
  const filter = useResultsFilter();
  const status = filter.status ?? "";
  return (
    <section className="card" aria-labelledby="suite-results-title">
      <h2 id="suite-results-title">Results</h2>
      <div className="suite-result-filter" role="group" aria-label="Show results">
        {FILTERS.map((option) => (
          <button
            key={option.status}
            type="button"
            aria-pressed={status === option.status}
            data-filter={option.status || "all"}
            onClick={() => filter.setStatus(option.status)}
          >
            {option.label} <span className="summary-count-inline">{countOf(run, option.status)}</span>
          </button>
        ))}
      </div>
      <ResultRows key={status} projectId={projectId} run={run} status={status} />
    </section>
  );
}
