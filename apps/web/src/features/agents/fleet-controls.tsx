"use client";
import type { AgentStatus, AgentSummary } from "@tower/shared";
import { AGENT_STATUSES } from "@tower/shared/domain";
import { useEffect, useId, useRef, useState } from "react";
import { errorMessage } from "~/lib/errors";
import { FormError } from "~/ui/field";
import { useActivateAll, useDeactivateAll } from "./hooks";

const STATUS_LABELS: Record<AgentStatus, string> = {
  idle: "Idle",
  busy: "Busy",
  offline: "Offline",
  error: "Error",
  disabled: "Disabled",
};

/** Counts by status; each one filters the fleet to that status (click again to clear). */
export function SummaryStrip({
  summary,
  status,
  onStatus,
}: {
  summary: AgentSummary | undefined;
  status: AgentStatus | "";
  onStatus(status: AgentStatus | ""): void;
}) {
  return (
    <ul className="summary-strip" aria-label="Fleet summary">
      <li>
        <button type="button" aria-pressed={status === ""} onClick={() => onStatus("")}>
          <span className="summary-label">All</span>
          <span className="summary-count" data-testid="summary-total">
            {summary?.total ?? "…"}
          </span>
        </button>
      </li>
      {AGENT_STATUSES.map((s) => (
        <li key={s}>
          <button
            type="button"
            className={`summary-${s}`}
            aria-pressed={status === s}
            aria-label={`${STATUS_LABELS[s]}: ${summary?.byStatus[s] ?? 0}`}
            data-status-count={s}
            onClick={() => onStatus(status === s ? "" : s)}
          >
            <span className="summary-label">{STATUS_LABELS[s]}</span>
            <span className="summary-count">{summary?.byStatus[s] ?? "…"}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function useModal() {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const node = ref.current;
    if (node && !node.open) node.showModal();
    return () => node?.close();
  }, []);
  return ref;
}

/** "Activate all" with its result shown next to it. */
export function ActivateAllButton({ projectId }: { projectId: string }) {
  const activate = useActivateAll();
  return (
    <>
      <button
        type="button"
        disabled={activate.isPending}
        onClick={() => activate.mutate({ projectId })}
        aria-describedby={activate.data || activate.error ? "activate-all-result" : undefined}
      >
        {activate.isPending ? "Activating…" : "Activate all"}
      </button>
      {activate.data || activate.error ? (
        <span id="activate-all-result" role="status" className={activate.error ? "error" : "muted"}>
          {activate.error
            ? errorMessage(activate.error)
            : `${activate.data?.changed ?? 0} agent${activate.data?.changed === 1 ? "" : "s"} enabled.`}
        </span>
      ) : null}
    </>
  );
}

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
  const dialog = useModal();
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
            {done.changed} agent{done.changed === 1 ? "" : "s"} disabled.
          </p>
        ) : (
          <>
            <p>
              Every agent in <strong>{projectName}</strong> is disabled and its session ended. Agents stay disabled
              until enabled again.
            </p>
            <FormError message={deactivate.error ? errorMessage(deactivate.error) : null} />
            <div className="field">
              <label htmlFor={inputId}>Type the project name to confirm</label>
              <input
                id={inputId}
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
                autoComplete="off"
                spellCheck={false}
                autoFocus
                placeholder={projectName}
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
