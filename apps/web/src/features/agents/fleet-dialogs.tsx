"use client";
import type { Agent } from "@tower/shared";
import { errorMessage, isNotFound } from "~/lib/errors";
import { ConfirmDialog } from "~/ui/confirm-dialog";
import { AgentFormDialog, type AgentFields } from "./agent-form";
import { useCreateAgent, useDeleteAgent, useUpdateAgent } from "./hooks";
import { KillSwitchDialog } from "./kill-switch";
import type { ListFilters } from "./live-cache";

/** Which of the fleet's dialogs is open. */
export type FleetDialog =
  { kind: "create" } | { kind: "edit"; agent: Agent } | { kind: "delete"; agent: Agent } | { kind: "kill" };

/**
 * The fleet's dialogs (new or edit agent, delete, kill switch) and the mutations behind them; each
 * result lands in the visible list (`filters`) at once. Loaded on the first click, in one chunk
 * (agents-page.tsx), and mounted only while a dialog is open: closing resets the mutations.
 */
export function FleetDialogs({
  open,
  projectId,
  projectName,
  filters,
  onClose,
}: {
  open: FleetDialog;
  projectId: string;
  projectName: string;
  filters: ListFilters;
  onClose(): void;
}) {
  const create = useCreateAgent(projectId, filters);
  const update = useUpdateAgent(projectId, filters);
  const remove = useDeleteAgent(projectId, filters);

  function close() {
    onClose();
    create.reset();
    update.reset();
    remove.reset();
  }

  function save(fields: AgentFields) {
    if (open.kind === "edit") update.mutate({ projectId, id: open.agent.id, patch: fields }, { onSuccess: close });
    else create.mutate({ projectId, ...fields }, { onSuccess: close });
  }

  if (open.kind === "create" || open.kind === "edit")
    return (
      <AgentFormDialog
        key={open.kind === "edit" ? open.agent.id : "new"}
        agent={open.kind === "edit" ? open.agent : null}
        pending={create.isPending || update.isPending}
        error={open.kind === "edit" ? (isNotFound(update.error) ? null : update.error) : create.error}
        closedReason={
          open.kind === "edit" && isNotFound(update.error)
            ? "This agent was deleted meanwhile, so these changes cannot be saved. Close this form."
            : null
        }
        onSubmit={save}
        onClose={close}
      />
    );
  if (open.kind === "delete")
    return (
      <ConfirmDialog
        title={`Delete ${open.agent.name}?`}
        body="The agent and its settings are removed for everyone in this project. This cannot be undone."
        confirmLabel="Delete agent"
        pending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => remove.mutate({ projectId, id: open.agent.id }, { onSuccess: close })}
        onClose={close}
      />
    );
  if (open.kind === "kill") return <KillSwitchDialog projectId={projectId} projectName={projectName} onClose={close} />;
  return null;
}
