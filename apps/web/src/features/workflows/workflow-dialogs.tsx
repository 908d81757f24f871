"use client";
import type { Workflow } from "@tower/shared";
import { useRouter } from "next/navigation";
import { errorMessage } from "~/lib/errors";
import { ConfirmDialog } from "~/ui/confirm-dialog";
import { workflowRunHref } from "./links";
import { StartWorkflowDialog } from "./start-dialog";
import { useCreateWorkflow, useDeleteWorkflow, useUpdateWorkflow } from "./workflow-hooks";
import { WorkflowFormDialog } from "./workflow-form";
import type { WorkflowFields } from "./workflow-form-values";
import { useStartWorkflow } from "./workflow-run-hooks";

/** Which of the workflows' dialogs is open. */
export type WorkflowDialog =
  | { kind: "create" }
  | { kind: "edit"; workflow: Workflow }
  | { kind: "delete"; workflow: Workflow }
  | { kind: "start"; workflow: Workflow };

/**
 * The workflows' dialogs (new, edit, delete, start) and the mutations behind them. Loaded on the
 * first click (workflows-page.tsx) and mounted only while a dialog is open: closing resets them.
 */
export function WorkflowDialogs({
  open,
  projectId,
  onClose,
}: {
  open: WorkflowDialog;
  projectId: string;
  onClose(): void;
}) {
  const create = useCreateWorkflow(projectId);
  const update = useUpdateWorkflow(projectId);
  const remove = useDeleteWorkflow(projectId);
  const start = useStartWorkflow(projectId);
  const router = useRouter();

  function save(fields: WorkflowFields) {
    if (open.kind === "edit") update.mutate({ projectId, id: open.workflow.id, ...fields }, { onSuccess: onClose });
    else create.mutate({ projectId, ...fields }, { onSuccess: onClose });
  }

  if (open.kind === "delete")
    return (
      <ConfirmDialog
        title={`Delete ${open.workflow.name}?`}
        body="The workflow is removed for everyone in this project. Workflows already started finish as they began, and stay in the history."
        confirmLabel="Delete workflow"
        pending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => remove.mutate({ projectId, id: open.workflow.id }, { onSuccess: onClose })}
        onClose={onClose}
      />
    );
  if (open.kind === "start")
    return (
      <StartWorkflowDialog
        workflow={open.workflow}
        pending={start.isPending}
        error={start.error}
        onStart={(input) =>
          start.mutate(
            { projectId, id: open.workflow.id, input },
            // The started workflow's page, where its steps move live.
            { onSuccess: (run) => router.push(workflowRunHref(run.id, projectId)) },
          )
        }
        onClose={onClose}
      />
    );
  return (
    <WorkflowFormDialog
      key={open.kind === "edit" ? open.workflow.id : "new"}
      workflow={open.kind === "edit" ? open.workflow : null}
      pending={create.isPending || update.isPending}
      error={open.kind === "edit" ? update.error : create.error}
      onSubmit={save}
      onClose={onClose}
    />
  );
}
