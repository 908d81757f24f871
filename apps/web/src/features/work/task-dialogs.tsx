"use client";
import type { Task } from "@tower/shared";
import { errorMessage } from "~/lib/errors";
import { ConfirmDialog } from "~/ui/confirm-dialog";
import { useCreateTask, useDeleteTask, useUpdateTask } from "./hooks";
import type { TaskFilters } from "./live-cache";
import { TaskFormDialog } from "./task-form";
import type { TaskFields } from "./task-form-values";

/** Which of the tasks' dialogs is open. */
export type TaskDialog = { kind: "create" } | { kind: "edit"; task: Task } | { kind: "delete"; task: Task };

/**
 * The tasks' dialogs (new, edit, delete) and the mutations behind them; each result lands in the
 * visible list at once. Loaded on the first click (tasks-page.tsx) and mounted only while a dialog
 * is open: closing resets the mutations.
 */
export function TaskDialogs({
  open,
  projectId,
  filters,
  onClose,
}: {
  open: TaskDialog;
  projectId: string;
  filters: TaskFilters;
  onClose(): void;
}) {
  const create = useCreateTask(projectId, filters);
  const update = useUpdateTask(projectId, filters);
  const remove = useDeleteTask(projectId, filters);

  function save(fields: TaskFields) {
    if (open.kind === "edit") update.mutate({ projectId, id: open.task.id, ...fields }, { onSuccess: onClose });
    else create.mutate({ projectId, ...fields }, { onSuccess: onClose });
  }

  if (open.kind === "delete")
    return (
      <ConfirmDialog
        title={`Delete ${open.task.name}?`}
        body="The task and its schedule are removed for everyone in this project. Its runs stay in the history."
        confirmLabel="Delete task"
        pending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => remove.mutate({ projectId, id: open.task.id }, { onSuccess: onClose })}
        onClose={onClose}
      />
    );
  return (
    <TaskFormDialog
      key={open.kind === "edit" ? open.task.id : "new"}
      projectId={projectId}
      task={open.kind === "edit" ? open.task : null}
      pending={create.isPending || update.isPending}
      error={open.kind === "edit" ? update.error : create.error}
      onSubmit={save}
      onClose={onClose}
    />
  );
}
