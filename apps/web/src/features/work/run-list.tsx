"use client";
import type { Run } from "@tower/shared";
import Link from "next/link";
import { attemptText, RunProgress, RunStatusBadge } from "./run-status";
import { RunTimes } from "./run-times";
import { runHref } from "./work-header";

/** Runs as rows, newest first: task, status, attempt, agent, progress, times; each opens its page. */
export function RunTable({ runs, now, projectId }: { runs: Run[]; now: number; projectId: string }) {
  return (
    <div className="table-wrap">
      <table aria-label="Runs">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Status</th>
            <th scope="col">Attempt</th>
            <th scope="col">Agent</th>
            <th scope="col">Progress</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-run={run.id} data-status={run.status}>
              <th scope="row" data-label="Task">
                <Link href={runHref(run.id, projectId)}>{run.taskName}</Link>
                <small className="muted agent-desc">{run.trigger}</small>
              </th>
              <td data-label="Status">
                <RunStatusBadge status={run.status} cancelling={run.cancelRequested && run.status !== "cancelled"} />
                {run.error ? <small className="muted agent-desc">{run.error.slice(0, 120)}</small> : null}
              </td>
              <td data-label="Attempt">
                <span className="sr-only">Attempt </span>
                {attemptText(run)}
              </td>
              <td data-label="Agent">{run.agentName ?? <span className="muted">—</span>}</td>
              <td data-label="Progress">
                <RunProgress run={run} label={`Progress of ${run.taskName}`} />
              </td>
              <td data-label="Created">
                <RunTimes at={run.createdAt} startedAt={run.startedAt} finishedAt={run.finishedAt} now={now} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
