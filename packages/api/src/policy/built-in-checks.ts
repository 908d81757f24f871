import type { DbOrTx } from "@tower/db";
import type { BuiltInCheck } from "@tower/shared";
import type { AgentRow } from "../agents/agent-writes";
import type { ConnectionState } from "../core/connection-state";
import { currentUsage } from "../telemetry/budget-service";
import { agentMatchers } from "./policy-cache";
import type { NormalizedRequest } from "./policy-request";

export interface CheckFailure {
  check: BuiltInCheck;
  reason: string;
}

const usd = (value: number) => `$${value.toFixed(2)}`;

/**
 * The checks every request passes before the project's rules, from the agent's own registration:
 * known, enabled, the tool allowed, the path in scope, the budgets not spent. The first that fails
 * denies. An empty list of allowed tools or path scopes puts no limit on them (a path must still
 * stay inside the workspace).
 */
export function runBuiltInChecks(
  state: ConnectionState,
  db: DbOrTx,
  agent: AgentRow | undefined,
  request: NormalizedRequest,
  now: number,
): CheckFailure | null {
  if (!agent) {
    return { check: "agent_unknown", reason: `Unknown agent "${request.agent}"; register it in this project first` };
  }
  if (agent.status === "disabled") {
    return { check: "agent_disabled", reason: `"${agent.name}" is disabled; an operator can enable it again` };
  }
  const { allowsTool, inScope } = agentMatchers(state, agent);
  if (allowsTool && !allowsTool(request.tool)) {
    return {
      check: "tool_not_allowed",
      reason: `"${request.tool}" is not among ${agent.name}'s allowed tools (${agent.allowedTools.join(", ")})`,
    };
  }
  if (request.path !== null) {
    // Leaving the workspace is refused with or without scopes (no scopes: any path inside it).
    if (request.pathOutside) {
      return {
        check: "path_outside_scope",
        reason: `${request.path} is outside the agent's workspace (pass paths relative to it, or give cwd)`,
      };
    }
    if (inScope && !inScope(request.path)) {
      return {
        check: "path_outside_scope",
        reason: `${request.path} is outside ${agent.name}'s path scopes (${agent.pathScopes.join(", ")})`,
      };
    }
  }
  if (agent.budgetTokensPerSession === null && agent.budgetCostUsdPerDay === null) return null;
  for (const usage of currentUsage(state, db, agent, request.sessionId ? [request.sessionId] : [], now)) {
    if (usage.budget === "tokens_per_session" && usage.used >= usage.limit) {
      return {
        check: "budget_tokens_per_session",
        reason: `Session ${usage.period} has used ${usage.used.toLocaleString("en-US")} of its ${usage.limit.toLocaleString("en-US")} tokens`,
      };
    }
    if (usage.budget === "cost_per_day") {
      const estimate = request.estimatedCostUsd ?? 0;
      if (usage.used >= usage.limit) {
        return {
          check: "budget_cost_per_day",
          reason: `${agent.name} has spent ${usd(usage.used)} of its ${usd(usage.limit)} daily budget (${usage.period}, UTC)`,
        };
      }
      if (usage.used + estimate > usage.limit) {
        return {
          check: "budget_cost_per_day",
          reason: `This request's estimated ${usd(estimate)} would take ${agent.name} past its ${usd(usage.limit)} daily budget (${usd(usage.used)} spent today, UTC)`,
        };
      }
    }
  }
  return null;
}
