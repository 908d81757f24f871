"use client";
import { hasRole, isFinalRunStatus } from "@tower/shared/domain";
import Link from "next/link";
import { useProject } from "~/features/shell";
import { errorMessage, isNotFound } from "~/lib/errors";
import { ErrorText, Loading } from "~/ui/states";
import { duration, inZone, workHref } from "~/features/work";
import { currentStepText } from "./format";
import { StepList } from "./step-list";
import { useStepRun, useStopWorkflow, useWorkflowRun } from "./workflow-run-hooks";
import { WorkflowRunStatusBadge } from "./workflow-run-status";
import "./workflows.css";

const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** One started workflow, live: its steps in order with each one's state, run, output or error; Stop. */
export function WorkflowRunPage({ id }: { id: string }) {
  const { current } = useProject();
  const projectId = current.projectId;
  const canOperate = hasRole(current.role, "operator");
  const run = useWorkflowRun(projectId, id);
  const stop = useStopWorkflow(projectId);
  const currentStep = run.data?.steps[run.data.currentStep];
  // Stopped while an agent holds the step: it ends `cancelled` once the agent stops.
  const stepRun = useStepRun(projectId, currentStep?.runId ?? null, false);
  const listHref = workHref("/work/workflows", projectId);

  if (run.isPending) return <Loading label="Loading workflow…" />;
  if (!run.data)
    return (
      <div className="empty">
        <p role="alert">
          {isNotFound(run.error)
            ? "This started workflow does not exist."
            : `Could not load this workflow: ${errorMessage(run.error)}`}
        </p>
        <p>
          <Link href={listHref}>Back to workflows</Link>
        </p>
      </div>
    );
  const r = run.data;
  const stopping = r.status === "stopped" && stepRun.data !== undefined && !isFinalRunStatus(stepRun.data.status);

  return (
    <section className="page work workflow-run">
      <p className="crumbs">
        <Link href={listHref}>← Workflows</Link>
      </p>
      <div className="page-head">
        <div className="title-row">
          <h1>Workflow {r.workflowName}</h1>
          <WorkflowRunStatusBadge status={r.status} />
        </div>
        {canOperate && r.status === "running" ? (
          <div className="page-actions">
            <button
              type="button"
              className="danger"
              disabled={stop.isPending}
              onClick={() => stop.mutate({ projectId, id })}
            >
              Stop workflow
            </button>
          </div>
        ) : null}
      </div>
      {stopping ? (
        <p className="notice" role="status">
          Stopping: {stepRun.data?.agentName ?? "the agent"} has been told to stop step {currentStep?.name}.
        </p>
      ) : null}
      {stop.error ? <ErrorText error={stop.error} context="Could not stop the workflow" /> : null}
      <dl className="facts workflow-run-facts">
        <dt>{r.status === "running" ? "Now at" : "Ended at"}</dt>
        <dd>{currentStepText(r)}</dd>
        <dt>Started by</dt>
        <dd>{r.startedBy}</dd>
        <dt>Started</dt>
        <dd>
          <time dateTime={new Date(r.startedAt).toISOString()}>{inZone(r.startedAt, localZone(), "medium")}</time>
        </dd>
        {r.finishedAt !== null ? (
          <>
            <dt>Took</dt>
            <dd>{duration(r.finishedAt - r.startedAt)}</dd>
          </>
        ) : null}
      </dl>
      <h2 className="sr-only">Steps</h2>
      <StepList projectId={projectId} run={r} />
    </section>
  );
}
