export const AGENT_STATUSES = ["idle", "busy", "offline", "error", "disabled"] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const AGENT_SORTS = ["name", "createdAt", "updatedAt", "lastActiveAt", "status", "role"] as const;
export type AgentSort = (typeof AGENT_SORTS)[number];

export interface Agent {
  id: string;
  projectId: string;
  name: string;
  role: string;
  category: string;
  description: string;
  capabilities: string[];
  allowedTools: string[];
  pathScopes: string[];
  budgetTokensPerSession: number | null;
  budgetCostUsdPerDay: number | null;
  status: AgentStatus;
  tags: string[];
  metadata: Record<string, unknown>;
  version: string;
  owner: string;
  /** The team that activated this agent, if any. */
  teamId: string | null;
  sessionsCount: number;
  /** Reported task outcomes, from which success rate and average execution time derive. */
  runsCount: number;
  successCount: number;
  totalExecutionMs: number;
  createdAt: number;
  updatedAt: number;
  lastActiveAt: number | null;
}

/** Success rate and average execution time, or null before the first reported outcome. */
export function agentPerformance(agent: Pick<Agent, "runsCount" | "successCount" | "totalExecutionMs">) {
  if (agent.runsCount === 0) return { successRate: null, avgExecutionMs: null };
  return {
    successRate: agent.successCount / agent.runsCount,
    avgExecutionMs: agent.totalExecutionMs / agent.runsCount,
  };
}
