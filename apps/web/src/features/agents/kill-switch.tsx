"use client";
import { useId, useState } from "react";
import { errorMessage } from "~/lib/errors";
import { plural } from "~/lib/format";
import { FormError } from "~/ui/field";
import { useDeactivateAll } from "./hooks";
import { useModalDialog } from "~/ui/modal";

/** The kill switch: disabling every agent needs the project name typed back. */
export function KillSwitchDialog({
  projectId,
  projectName,
  onClose,
}: {
  projectId: string;
  projectName: string;
  onClose(): void;
}) {
  const dialog = useModalDialog();
  const inputId = useId();
  const [confirm, setConfirm] = useState("");
  const deactivate = useDeactivateAll();
  const matches = confirm === projectName;
  const done = deactivate.data;

  return (
    <dialog ref={dialog} className="dialog dialog-small" aria-labelledby="kill-title" onCancel={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (matches && !done) deactivate.mutate({ projectId, confirm });
        }}
      >
        <h2 id="kill-title">Deactivate all agents?</h2>
        {done ? (
          <p role="status" className="kill-result">
            {plural(done.changed, "agent")} disabled.
          </p>
        ) : (
          <>
            <p>
              Every agent in <strong>{projectName}</strong> is disabled and its session ended; the runs they are working
              on are taken from them and go back to the queue. Agents stay disabled until enabled again.
            </p>
            <FormError message={deactivate.error ? errorMessage(deactivate.error) : null} />
            <div className="field">
              <label htmlFor={inputId}>
                Type the project name to confirm: <strong className="confirm-name">{projectName}</strong>
              </label>
              <input
                id={inputId}
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
                autoComplete="off"
                spellCheck={false}
                autoFocus
                placeholder="Type the project name"
              />
            </div>
          </>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            {done ? "Close" : "Cancel"}
          </button>
          {done ? null : (
            <button type="submit" className="danger" disabled={!matches || deactivate.isPending}>
              {deactivate.isPending ? "Deactivating…" : "Deactivate all agents"}
            </button>
          )}
        </div>
      </form>
    </dialog>
  );
}
