"use client";
import type { Agent, AgentSession } from "@tower/shared";
import { agentPerformance, hasRole } from "@tower/shared/domain";
import Link from "next/link";
import { useMemo, useState, type ReactNode } from "react";
import { BudgetBar } from "~/features/budgets/budget-bar";
import { useBudgetUsage } from "~/features/budgets/hooks";
import { useProject } from "~/features/shell/project";
import { useTeamName } from "~/features/teams/hooks";
import { errorMessage, isNotFound } from "~/lib/errors";
import { AgentFormDialog, type AgentFields } from "./dialogs";
import { formatDuration, formatPercent, relativeTime, StatusBadge } from "./fleet-views";
import { useAgent, useAgentActivity, useAgentSessions, useSetEnabled, useUpdateAgent } from "./hooks";

const dateTime = (at: number | null | undefined) => (at ? new Date(at).toLocaleString() : "—");
const usd = (n: number | null | undefined) => (n === null || n === undefined ? "—" : `$${n.toFixed(n < 1 ? 4 : 2)}`);
const count = (n: number | null | undefined) => (n === null || n === undefined ? "—" : n.toLocaleString());

function Item({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function List({ items, empty = "—" }: { items: string[]; empty?: string }) {
  if (items.length === 0) return <span className="muted">{empty}</span>;
  return (
    <ul className="tags">
      {items.map((item) => (
        <li key={item} className="tag">
          {item}
        </li>
      ))}
    </ul>
  );
}

function Profile({ agent, teamName }: { agent: Agent; teamName: string | null }) {
  return (
    <section className="card" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <dl className="facts">
        <Item term="Role">{agent.role}</Item>
        <Item term="Category">{agent.category}</Item>
        <Item term="Version">{agent.version || "—"}</Item>
        <Item term="Owner">{agent.owner || "—"}</Item>
        <Item term="Team">{teamName ?? (agent.teamId ? agent.teamId : "—")}</Item>
        <Item term="Tags">
          <List items={agent.tags} />
        </Item>
        <Item term="Capabilities">
          <List items={agent.capabilities} />
        </Item>
        <Item term="Allowed tools">
          <List items={agent.allowedTools} />
        </Item>
        <Item term="Path scopes">
          {agent.pathScopes.length === 0 ? (
            <span className="muted">—</span>
          ) : (
            <ul className="plain">
              {agent.pathScopes.map((p) => (
                <li key={p}>
                  <code>{p}</code>
                </li>
              ))}
            </ul>
          )}
        </Item>
        <Item term="Created">{dateTime(agent.createdAt)}</Item>
        <Item term="Updated">{dateTime(agent.updatedAt)}</Item>
        <Item term="Last active">{dateTime(agent.lastActiveAt)}</Item>
      </dl>
      {agent.description ? <p className="agent-description">{agent.description}</p> : null}
      {Object.keys(agent.metadata).length > 0 ? (
        <details>
          <summary>Metadata</summary>
          <pre className="metadata">{JSON.stringify(agent.metadata, null, 2)}</pre>
        </details>
      ) : null}
    </section>
  );
}

function Budgets({ agent, open, costToday }: { agent: Agent; open: AgentSession | null; costToday: number }) {
  return (
    <section className="card" aria-labelledby="budgets-title">
      <h2 id="budgets-title">Budgets</h2>
      {agent.budgetCostUsdPerDay === null ? (
        <p className="muted">No daily cost budget · {usd(costToday)} spent today</p>
      ) : (
        <BudgetBar label="Cost today" used={costToday} limit={agent.budgetCostUsdPerDay} unit="usd" />
      )}
      {agent.budgetTokensPerSession === null ? (
        <p className="muted">No token budget per session</p>
      ) : open ? (
        <BudgetBar label="Session tokens" used={open.tokens} limit={agent.budgetTokensPerSession} unit="tokens" />
      ) : (
        <p className="muted">{count(agent.budgetTokensPerSession)} tokens per session · no live session</p>
      )}
    </section>
  );
}

function Performance({ agent }: { agent: Agent }) {
  const perf = agentPerformance(agent);
  return (
    <section className="card" aria-labelledby="performance-title">
      <h2 id="performance-title">Performance</h2>
      <dl className="stats">
        <Item term="Success rate">{formatPercent(perf.successRate)}</Item>
        <Item term="Avg execution time">{formatDuration(perf.avgExecutionMs)}</Item>
        <Item term="Runs">{count(agent.runsCount)}</Item>
        <Item term="Sessions">{count(agent.sessionsCount)}</Item>
      </dl>
    </section>
  );
}

function CurrentSession({ session }: { session: AgentSession | null }) {
  return (
    <section className="card" aria-labelledby="session-title">
      <h2 id="session-title">Current session</h2>
      {session ? (
        <dl className="stats">
          <Item term="Started">{dateTime(session.startedAt)}</Item>
          <Item term="Last heartbeat">{relativeTime(session.lastHeartbeatAt)}</Item>
          <Item term="Tokens">{count(session.tokens)}</Item>
          <Item term="Cost">{usd(session.costUsd)}</Item>
          <Item term="Runs">
            {count(session.runs)}
            {session.runs > 0 ? (
              <span className="muted"> ({formatPercent(session.successes / session.runs)} ok)</span>
            ) : null}
          </Item>
        </dl>
      ) : (
        <p className="muted">No live session. The agent gets one when it connects with the SDK.</p>
      )}
    </section>
  );
}

function SessionHistory({ projectId, agentId }: { projectId: string; agentId: string }) {
  const sessions = useAgentSessions(projectId, agentId);
  const items = useMemo(() => sessions.data?.pages.flatMap((p) => p.items) ?? [], [sessions.data]);
  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">Session history</h2>
      {sessions.isPending ? (
        <p className="loading">Loading sessions…</p>
      ) : sessions.error ? (
        <p className="error" role="alert">
          Could not load sessions: {errorMessage(sessions.error)}
        </p>
      ) : items.length === 0 ? (
        <p className="muted">No sessions yet.</p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Sessions">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
                <th scope="col">Tokens</th>
                <th scope="col">Cost</th>
                <th scope="col">Runs</th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.id}>
                  <th scope="row" data-label="Started">
                    {dateTime(s.startedAt)}
                  </th>
                  <td data-label="Ended">
                    {s.endedAt ? (
                      <>
                        {dateTime(s.endedAt)} <span className="muted">({s.endReason?.replace("_", " ")})</span>
                      </>
                    ) : (
                      <span className="badge status-idle">live</span>
                    )}
                  </td>
                  <td data-label="Tokens">{count(s.tokens)}</td>
                  <td data-label="Cost">{usd(s.costUsd)}</td>
                  <td data-label="Runs">
                    {count(s.runs)} {s.runs > 0 ? <span className="muted">({s.successes} ok)</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {sessions.hasNextPage ? (
        <div className="load-more">
          <button type="button" onClick={() => void sessions.fetchNextPage()} disabled={sessions.isFetchingNextPage}>
            {sessions.isFetchingNextPage ? "Loading…" : "Older sessions"}
          </button>
        </div>
      ) : null}
    </section>
  );
}

function Activity({ items }: { items: { id: string; at: number; text: string }[] }) {
  return (
    <section className="card" aria-labelledby="activity-title">
      <h2 id="activity-title">Live activity</h2>
      {items.length === 0 ? (
        <p className="muted">Changes to this agent appear here as they happen.</p>
      ) : (
        <ol className="activity" aria-label="Activity" aria-live="polite">
          {items.map((item) => (
            <li key={item.id}>
              <time dateTime={new Date(item.at).toISOString()}>{new Date(item.at).toLocaleTimeString()}</time>{" "}
              <span>{item.text}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** Shown in place of the actions once the agent is gone: what happened, and the way back. */
function DeletedNotice({ deletedAt, fleetHref }: { deletedAt: number | null; fleetHref: string }) {
  return (
    <div className="notice notice-danger" role="alert" data-testid="agent-deleted">
      <p>
        <strong>This agent was deleted</strong>
        {deletedAt ? ` at ${new Date(deletedAt).toLocaleTimeString()}` : ""}, in this window or another. Below is its
        last known state; it can no longer be edited, enabled or disabled.
      </p>
      <Link className="button" href={fleetHref}>
        Back to agents
      </Link>
    </div>
  );
}

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

  if (agent.isPending) return <p className="loading">Loading agent…</p>;
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
      {setEnabled.error && !deleted ? (
        <p className="error" role="alert">
          {errorMessage(setEnabled.error)}
        </p>
      ) : null}
      <div className="detail-grid">
        <div className="detail-main">
          <Profile agent={a} teamName={teams} />
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
