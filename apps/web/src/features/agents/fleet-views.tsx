"use client";
import type { Agent } from "@tower/shared";
import { agentPerformance } from "@tower/shared/domain";
import Link from "next/link";
import { BudgetBar, type Spend } from "~/features/budgets";
import { StatusBadge } from "~/ui/status-badge";
import { formatPercent, relativeTime } from "./format";

export function agentHref(agent: Pick<Agent, "id">, projectId: string): string {
  return `/agents/${encodeURIComponent(agent.id)}?project=${encodeURIComponent(projectId)}`;
}

function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="tags" aria-label="Tags">
      {tags.map((tag) => (
        <li key={tag} className="tag">
          {tag}
        </li>
      ))}
    </ul>
  );
}

/** Today's cost against the agent's daily budget, or a dash when it has none. */
function DailyBudget({
  agent,
  spend,
  hideEmpty = false,
}: {
  agent: Agent;
  spend: Map<string, Spend> | undefined;
  hideEmpty?: boolean;
}) {
  if (agent.budgetCostUsdPerDay === null) return hideEmpty ? null : <span className="muted">—</span>;
  return (
    <BudgetBar
      label={`${agent.name} cost today`}
      used={spend?.get(agent.id)?.costUsd ?? 0}
      limit={agent.budgetCostUsdPerDay}
      unit="usd"
      compact
    />
  );
}

export interface AgentActions {
  canToggle: boolean;
  canEdit: boolean;
  canDelete: boolean;
  /** Id of the agent whose enable/disable call is in flight. */
  togglingId: string | null;
  onToggle(agent: Agent): void;
  onEdit(agent: Agent): void;
  onDelete(agent: Agent): void;
}

function Actions({ agent, actions }: { agent: Agent; actions: AgentActions }) {
  const disabled = agent.status === "disabled";
  return (
    <>
      {actions.canToggle ? (
        <button
          type="button"
          aria-label={`${disabled ? "Enable" : "Disable"} ${agent.name}`}
          className={disabled ? undefined : "warn-text"}
          disabled={actions.togglingId === agent.id}
          onClick={() => actions.onToggle(agent)}
        >
          {disabled ? "Enable" : "Disable"}
        </button>
      ) : null}
      {actions.canEdit ? (
        <button type="button" aria-label={`Edit ${agent.name}`} onClick={() => actions.onEdit(agent)}>
          Edit
        </button>
      ) : null}
      {actions.canDelete ? (
        <button
          type="button"
          className="danger-text"
          aria-label={`Delete ${agent.name}`}
          onClick={() => actions.onDelete(agent)}
        >
          Delete
        </button>
      ) : null}
    </>
  );
}

export function AgentTable({
  agents,
  projectId,
  actions,
  spend,
}: {
  agents: Agent[];
  projectId: string;
  actions: AgentActions;
  /** Today's spend per agent id, for the budget bars. */
  spend?: Map<string, Spend> | undefined;
}) {
  const hasActions = actions.canToggle || actions.canEdit || actions.canDelete;
  return (
    <div className="table-wrap">
      <table className="agents">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Category</th>
            <th scope="col">Status</th>
            <th scope="col">Tags</th>
            <th scope="col">Success</th>
            <th scope="col">Budget today</th>
            <th scope="col">Last active</th>
            {hasActions ? (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {agents.map((agent) => (
            <tr key={agent.id} data-agent={agent.name} data-status={agent.status}>
              <th scope="row" data-label="Name">
                <Link className="agent-name" href={agentHref(agent, projectId)}>
                  {agent.name}
                </Link>
                {agent.description ? <span className="agent-desc">{agent.description}</span> : null}
              </th>
              <td data-label="Role">{agent.role}</td>
              <td data-label="Category">{agent.category}</td>
              <td data-label="Status">
                <StatusBadge status={agent.status} />
              </td>
              <td data-label="Tags">
                <Tags tags={agent.tags} />
              </td>
              <td data-label="Success">{formatPercent(agentPerformance(agent).successRate)}</td>
              <td data-label="Budget today" className="budget-cell">
                <DailyBudget agent={agent} spend={spend} />
              </td>
              <td data-label="Last active">
                {agent.lastActiveAt ? (
                  <time dateTime={new Date(agent.lastActiveAt).toISOString()}>{relativeTime(agent.lastActiveAt)}</time>
                ) : (
                  "never"
                )}
              </td>
              {hasActions ? (
                <td className="row-actions">
                  <Actions agent={agent} actions={actions} />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AgentGrid({
  agents,
  projectId,
  actions,
  spend,
}: {
  agents: Agent[];
  projectId: string;
  actions: AgentActions;
  /** Today's spend per agent id, for the budget bars. */
  spend?: Map<string, Spend> | undefined;
}) {
  return (
    <ul className="agent-grid" aria-label="Agents">
      {agents.map((agent) => (
        <li key={agent.id} className="agent-card" data-agent={agent.name} data-status={agent.status}>
          <div className="agent-card-head">
            <h3>
              <Link href={agentHref(agent, projectId)}>{agent.name}</Link>
            </h3>
            <StatusBadge status={agent.status} />
          </div>
          <p className="agent-card-role">
            {agent.role}
            <span className="muted"> · {agent.category}</span>
          </p>
          <Tags tags={agent.tags} />
          <dl className="agent-card-stats">
            <div>
              <dt>Success</dt>
              <dd>{formatPercent(agentPerformance(agent).successRate)}</dd>
            </div>
            <div>
              <dt>Last active</dt>
              <dd>{relativeTime(agent.lastActiveAt)}</dd>
            </div>
          </dl>
          <DailyBudget agent={agent} spend={spend} hideEmpty />
          {actions.canToggle || actions.canEdit || actions.canDelete ? (
            <div className="agent-card-actions">
              <Actions agent={agent} actions={actions} />
            </div>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
