"use client";
import { hasRole } from "@tower/shared/domain";
import Link from "next/link";
import { useState } from "react";
import { AgentApprovals } from "~/features/approvals";
import { useBudgetUsage } from "~/features/budgets";
import { useProject } from "~/features/shell";
import { useTeamName } from "~/features/teams";
import { errorMessage, isNotFound } from "~/lib/errors";
import { ErrorText, Loading } from "~/ui/states";
import { StatusBadge } from "~/ui/status-badge";
import { Activity, Budgets, CurrentSession, DeletedNotice, Performance, Profile } from "./agent-cards";
import { AgentFormDialog, type AgentFields } from "./dialogs";
import { useAgent, useAgentActivity, useAgentSessions, useSetEnabled, useUpdateAgent } from "./hooks";
import { SessionHistory } from "./session-history";

/** One agent: profile, budgets, performance, sessions and a live activity feed. */
export function AgentDetailPage({ id }: { id: string }) {
  const { current } = useProject();
  const projectId = current.projectId;
  const canOperate = hasRole(current.role, "operator");
  const canEdit = hasRole(current.role, "admin");
  const agent = useAgent(projectId, id);
  const sessions = useAgentSessions(projectId, id);
  const activity = useAgentActivity(projectId, id, agent.isSuccess);
  const setEnabled = useSetEnabled(projectId, null);
  const update = useUpdateAgent(projectId, null);
  const [editing, setEditing] = useState(false);
  const teams = useTeamName(projectId, agent.data?.teamId ?? null);
  const budget = useBudgetUsage(projectId);
  const fleetHref = `/agents?project=${encodeURIComponent(projectId)}`;

  const first = sessions.data?.pages[0]?.items[0];
  const open = first && first.endedAt === null ? first : null;
  // Deleted while this page was open: pushed by the live feed, or learnt from a refused call.
  const deleted =
    activity.deletedAt !== null || isNotFound(agent.error) || isNotFound(update.error) || isNotFound(setEnabled.error);

  if (agent.isPending) return <Loading label="Loading agent…" />;
  if (!agent.data)
    return (
      <div className="empty">
        <p role="alert">
          {isNotFound(agent.error)
            ? "This agent does not exist: it may have been deleted."
            : `Could not load this agent: ${errorMessage(agent.error)}`}
        </p>
        <p>
          <Link href={fleetHref}>Back to agents</Link>
        </p>
      </div>
    );
  const a = agent.data;
  const disabled = a.status === "disabled";

  function save(fields: AgentFields) {
    update.mutate({ projectId, id, patch: fields }, { onSuccess: () => setEditing(false) });
  }

  return (
    <section className={`page agent-detail${deleted ? " agent-deleted" : ""}`}>
      <p className="crumbs">
        <Link href={fleetHref}>← Agents</Link>
      </p>
      <div className="page-head">
        <div className="title-row">
          <h1>{a.name}</h1>
          {deleted ? <span className="badge status-error">deleted</span> : <StatusBadge status={a.status} />}
        </div>
        {deleted ? null : (
          <div className="page-actions">
            {canOperate ? (
              <button
                type="button"
                className={disabled ? "primary" : "danger"}
                disabled={setEnabled.isPending}
                onClick={() => setEnabled.mutate({ projectId, id, enabled: disabled })}
              >
                {disabled ? "Enable" : "Disable"}
              </button>
            ) : null}
            {canEdit ? (
              <button type="button" onClick={() => setEditing(true)}>
                Edit
              </button>
            ) : null}
          </div>
        )}
      </div>
      {deleted ? <DeletedNotice deletedAt={activity.deletedAt} fleetHref={fleetHref} /> : null}
      {setEnabled.error && !deleted ? <ErrorText error={setEnabled.error} /> : null}
      <div className="detail-grid">
        <div className="detail-main">
          <Profile agent={a} teamName={teams} />
          <AgentApprovals agentId={id} />
          <SessionHistory projectId={projectId} agentId={id} />
        </div>
        <div className="detail-side">
          <Performance agent={a} />
          <CurrentSession session={deleted ? null : open} />
          <Budgets agent={a} open={open} costToday={budget.byAgent.get(id)?.costUsd ?? 0} />
          <Activity items={activity.items} />
        </div>
      </div>
      {editing ? (
        <AgentFormDialog
          agent={a}
          pending={update.isPending}
          error={deleted ? null : update.error}
          closedReason={
            deleted ? "This agent was deleted meanwhile, so these changes cannot be saved. Close this form." : null
          }
          onSubmit={save}
          onClose={() => {
            setEditing(false);
            update.reset();
          }}
        />
      ) : null}
    </section>
  );
}
