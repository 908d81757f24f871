import type { WorkflowRunStatus } from "@tower/shared";
import { stepStatusText, WORKFLOW_RUN_STATUS_LABELS, type StepStatus } from "./format";

// Statuses as badges: words first, and a colour and line style that repeat them (work.css's
// run-* classes for a step's run; workflows.css for the rest).

export function WorkflowRunStatusBadge({ status }: { status: WorkflowRunStatus }) {
  return (
    <span className={`badge workflow-${status}`} data-status={status}>
      {WORKFLOW_RUN_STATUS_LABELS[status]}
    </span>
  );
}

export function StepStatusBadge({ status, cancelling = false }: { status: StepStatus; cancelling?: boolean }) {
  return (
    <span className={`badge run-${status}`} data-step-status={status}>
      {stepStatusText(status)}
      {cancelling ? ", cancelling" : ""}
    </span>
  );
}
