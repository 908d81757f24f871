"use client";
import type { SuiteRun } from "@tower/shared";
import Link from "next/link";
import { RunTimes, workHref } from "~/features/work";
import { SuiteProgress, SuiteRunStatusBadge } from "./suite-status";

/** Suite runs as rows, newest first: suite, status, progress and counts, who started it, when; each opens its page. */
export function SuiteRunTable({ runs, now, projectId }: { runs: SuiteRun[]; now: number; projectId: string }) {
  return (
    <div className="table-wrap">
      <table aria-label="Suite runs">
        <thead>
          <tr>
            <th scope="col">Suite</th>
            <th scope="col">Status</th>
            <th scope="col">Tests</th>
            <th scope="col">Started by</th>
            <th scope="col">Started</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-suite-run={run.id} data-suite={run.suiteName} data-status={run.status}>
              <th scope="row" data-label="Suite">
                <Link href={workHref(`/work/suites/runs/${encodeURIComponent(run.id)}`, projectId)}>
                  {run.suiteTitle}
                </Link>
                <small className="muted agent-desc">{run.suiteName}</small>
              </th>
              <td data-label="Status">
                <SuiteRunStatusBadge status={run.status} />
                {run.problems[0] ? <small className="muted agent-desc">{run.problems[0].slice(0, 120)}</small> : null}
              </td>
              <td data-label="Tests">
                <SuiteProgress run={run} label={`Progress of ${run.suiteTitle}`} />
              </td>
              <td data-label="Started by">{run.startedBy}</td>
              <td data-label="Started">
                <RunTimes
                  at={run.startedAt}
                  startedAt={run.startedAt}
                  finishedAt={run.finishedAt}
                  durationMs={run.durationMs}
                  now={now}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
