"use client";
import type { WorkflowRun } from "@tower/shared";
import Link from "next/link";
import { RunTimes } from "~/features/work";
import { currentStepText } from "./format";
import { workflowRunHref } from "./links";
import { WorkflowRunStatusBadge } from "./workflow-run-status";

/** Started workflows as rows, newest first: workflow, status, the step it is on, who started it, when. */
export function WorkflowRunTable({ runs, now, projectId }: { runs: WorkflowRun[]; now: number; projectId: string }) {
  return (
    <div className="table-wrap">
      <table aria-label="Started workflows">
        <thead>
          <tr>
            <th scope="col">Workflow</th>
            <th scope="col">Status</th>
            <th scope="col">Step</th>
            <th scope="col">Started by</th>
            <th scope="col">Started</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-workflow-run={run.id} data-status={run.status}>
              <th scope="row" data-label="Workflow">
                <Link href={workflowRunHref(run.id, projectId)}>{run.workflowName}</Link>
              </th>
              <td data-label="Status">
                <WorkflowRunStatusBadge status={run.status} />
              </td>
              <td data-label="Step">{currentStepText(run)}</td>
              <td data-label="Started by">{run.startedBy}</td>
              <td data-label="Started">
                <RunTimes at={run.startedAt} startedAt={run.startedAt} finishedAt={run.finishedAt} now={now} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
