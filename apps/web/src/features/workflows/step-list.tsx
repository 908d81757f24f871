"use client";
import type { Run, WorkflowRun, WorkflowRunStep } from "@tower/shared";
import { isFinalRunStatus } from "@tower/shared/domain";
import Link from "next/link";
import { prettyJson, RunProgress, runHref, targetText } from "~/features/work";
import { FAILURE_LABELS, type StepStatus } from "./format";
import { useStepRun } from "./workflow-run-hooks";
import { StepStatusBadge } from "./workflow-run-status";

/** Whether the step's run is under way: the started workflow only learns of its end, the run feed of each move. */
const underWay = (status: StepStatus) => status === "queued" || status === "leased" || status === "running";

/**
 * The step as it stands now: the workflow's copy while it has ended (or not begun), else its run
 * (queued → leased → running, and a cancel asked for) as the run feed last told it.
 */
function liveStep(step: WorkflowRunStep, run: Run | undefined) {
  if (!underWay(step.status) || !run || run.id !== step.runId)
    return { ...step, cancelling: false, agent: run?.agentName };
  const ended = isFinalRunStatus(run.status);
  return {
    ...step,
    status: run.status as StepStatus,
    output: ended ? run.output : step.output,
    error: ended ? run.error : step.error,
    cancelling: run.cancelRequested && !ended,
    agent: run.agentName,
  };
}

function StepItem({ projectId, run, index }: { projectId: string; run: WorkflowRun; index: number }) {
  const stored = run.steps[index]!;
  const definition = run.definition[index];
  // Every step with a run reads it (its agent; its progress while under way); the feed keeps it live.
  const stepRun = useStepRun(projectId, stored.runId, true);
  const step = liveStep(stored, stepRun.data);
  const titleId = `step-${index}-title`;
  return (
    <li className="workflow-run-step card" data-step={step.name} data-status={step.status} aria-labelledby={titleId}>
      <div className="title-row">
        <h3 id={titleId}>
          <span className="step-number">{index + 1}.</span> {step.name}
        </h3>
        <StepStatusBadge status={step.status} cancelling={step.cancelling} />
      </div>
      <dl className="facts">
        {definition ? (
          <>
            <dt>Target</dt>
            <dd>{targetText(definition.target)}</dd>
            <dt>On failure</dt>
            <dd>{FAILURE_LABELS[definition.onFailure]}</dd>
          </>
        ) : null}
        <dt>Agent</dt>
        <dd>{step.agent ?? (step.status === "pending" || step.status === "skipped" ? "—" : "none yet")}</dd>
      </dl>
      {stepRun.data && underWay(step.status) && stepRun.data.progress !== null ? (
        <RunProgress run={stepRun.data} label={`Progress of ${step.name}`} />
      ) : null}
      {stepRun.data?.progressMessage && underWay(step.status) ? (
        <p className="run-progress-message">{stepRun.data.progressMessage}</p>
      ) : null}
      {step.runId ? (
        <p>
          <Link href={runHref(step.runId, projectId)}>
            Open the run<span className="sr-only"> of step {step.name}</span>
          </Link>
        </p>
      ) : null}
      {step.error ? (
        <p className="run-error" data-step-error>
          {step.error}
        </p>
      ) : null}
      {step.output !== null && step.output !== undefined ? (
        <pre className="metadata" tabIndex={0} role="region" aria-label={`Output of ${step.name}`}>
          {prettyJson(step.output)}
        </pre>
      ) : null}
    </li>
  );
}

/** The started workflow's steps in order, each with its live state, its run, and its output or error. */
export function StepList({ projectId, run }: { projectId: string; run: WorkflowRun }) {
  return (
    <ol className="workflow-run-steps" aria-label="Steps">
      {run.steps.map((step, index) => (
        <StepItem key={`${index}-${step.name}`} projectId={projectId} run={run} index={index} />
      ))}
    </ol>
  );
}
