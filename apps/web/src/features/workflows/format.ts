import type { WorkflowRun, WorkflowRunStatus, WorkflowRunStep, WorkflowStep } from "@tower/shared";
import { RUN_STATUS_LABELS, targetText } from "~/features/work";

// How workflows read: statuses in words (never colour alone), steps and their failure policy.

export const WORKFLOW_RUN_STATUS_LABELS: Record<WorkflowRunStatus, string> = {
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  stopped: "stopped",
};

export type StepStatus = WorkflowRunStep["status"];

export function stepStatusText(status: StepStatus): string {
  if (status === "pending") return "pending";
  if (status === "skipped") return "skipped";
  return RUN_STATUS_LABELS[status];
}

export const FAILURE_LABELS: Record<WorkflowStep["onFailure"], string> = {
  stop: "Stop the workflow",
  continue: "Continue with the next step",
  retry: "Retry the step, then stop",
};

/** "fetch (any summariser)". */
export const stepSummary = (step: WorkflowStep) => `${step.name} (${targetText(step.target)})`;

/** "Step 2 of 3: summarise" while running; the step it ended on otherwise. */
export function currentStepText(run: WorkflowRun): string {
  const step = run.steps[run.currentStep];
  return `Step ${run.currentStep + 1} of ${run.steps.length}${step ? `: ${step.name}` : ""}`;
}
