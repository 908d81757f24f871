"use client";
import { useState, type FormEvent } from "react";
import { toFormErrors } from "~/lib/form-errors";
import { trpc } from "~/lib/trpc";
import { Field, FormError } from "~/ui/field";
import { useProject } from "./project";
import { useModalDialog } from "~/ui/modal";

/** Creates a project (the caller becomes its owner), refreshes the memberships and switches to it. */
export function NewProjectDialog({ onClose }: { onClose(): void }) {
  const dialog = useModalDialog();
  const { select } = useProject();
  const utils = trpc.useUtils();
  const create = trpc.project.create.useMutation();
  const [name, setName] = useState("");
  const errors = toFormErrors(create.error, ["name"]);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { name },
      {
        onSuccess: async (project) => {
          await utils.auth.me.refetch();
          select(project.projectId);
          onClose();
        },
      },
    );
  }

  return (
    <dialog ref={dialog} className="dialog dialog-small" aria-labelledby="new-project-title" onCancel={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id="new-project-title">New project</h2>
        <p className="muted">You become its owner. Agents, teams and API keys belong to one project.</p>
        <FormError message={errors.form} />
        <Field label="Project name" errors={errors.fields.name}>
          {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} autoFocus />}
        </Field>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create project"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
