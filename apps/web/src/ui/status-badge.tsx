import type { AgentStatus } from "@tower/shared";

/** An agent's status as a coloured badge (the fleet, an agent's page, team member lists). */
export function StatusBadge({ status }: { status: AgentStatus | string }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}
