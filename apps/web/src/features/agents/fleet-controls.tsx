"use client";
import type { AgentStatus, AgentSummary } from "@tower/shared";
import { AGENT_STATUSES } from "@tower/shared/domain";
import { errorMessage } from "~/lib/errors";
import { plural } from "~/lib/format";
import { useActivateAll } from "./hooks";

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
            data-status-count={s}
            onClick={() => onStatus(status === s ? "" : s)}
          >
            {/* Named by what it shows ("Idle: 3"); the colon is for screen readers only. */}
            <span className="summary-label">
              {STATUS_LABELS[s]}
              <span className="sr-only">: </span>
            </span>
            <span className="summary-count">{summary?.byStatus[s] ?? "…"}</span>
          </button>
        </li>
      ))}
    </ul>
  );
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
          {activate.error ? errorMessage(activate.error) : `${plural(activate.data?.changed ?? 0, "agent")} enabled.`}
        </span>
      ) : null}
    </>
  );
}
