"use client";
import type { Agent, AgentSession } from "@tower/shared";
import { agentPerformance } from "@tower/shared/domain";
import Link from "next/link";
import type { ReactNode } from "react";
import { BudgetBar } from "~/features/budgets";
import { Empty } from "~/ui/states";
import { formatDuration, formatPercent, relativeTime } from "./format";
import type { ActivityItem } from "./hooks";

// The cards of an agent's page, each showing one part of the agent.

export const dateTime = (at: number | null | undefined) => (at ? new Date(at).toLocaleString() : "—");
export const usd = (n: number | null | undefined) =>
  n === null || n === undefined ? "—" : `$${n.toFixed(n < 1 ? 4 : 2)}`;
export const count = (n: number | null | undefined) => (n === null || n === undefined ? "—" : n.toLocaleString());

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

export function Profile({ agent, teamName }: { agent: Agent; teamName: string | null }) {
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
          <pre className="metadata" tabIndex={0} role="region" aria-label="Metadata">
            {JSON.stringify(agent.metadata, null, 2)}
          </pre>
        </details>
      ) : null}
    </section>
  );
}

export function Budgets({ agent, open, costToday }: { agent: Agent; open: AgentSession | null; costToday: number }) {
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

export function Performance({ agent }: { agent: Agent }) {
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

export function CurrentSession({ session }: { session: AgentSession | null }) {
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
        <Empty line>No live session. The agent gets one when it connects with the SDK.</Empty>
      )}
    </section>
  );
}

export function Activity({ items }: { items: ActivityItem[] }) {
  return (
    <section className="card" aria-labelledby="activity-title">
      <h2 id="activity-title">Live activity</h2>
      {items.length === 0 ? (
        <Empty line>Changes to this agent appear here as they happen.</Empty>
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
export function DeletedNotice({ deletedAt, fleetHref }: { deletedAt: number | null; fleetHref: string }) {
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
