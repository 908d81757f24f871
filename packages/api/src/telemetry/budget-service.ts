import { agentDailyUsage, agentSessions, budgetAlerts, type DbOrTx } from "@tower/db";
import { BUDGET_THRESHOLDS, type BudgetAlert, type BudgetKind, type ChangeEvent } from "@tower/shared";
import { and, eq, isNull } from "drizzle-orm";
import type { AgentRow } from "../agents/agent-writes";
import { recordChange } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";
import { prepared, slot } from "../core/prepared";

/** Budgets reset at midnight UTC. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

export interface BudgetUsage {
  budget: BudgetKind;
  period: string;
  used: number;
  limit: number;
}

/**
 * What an agent has used of each budget it has: today's cost, and the tokens of the given sessions
 * and of its open one.
 */
export function currentUsage(
  state: ConnectionState,
  tx: DbOrTx,
  agent: AgentRow,
  sessionIds: string[],
  now: number,
): BudgetUsage[] {
  const usage: BudgetUsage[] = [];
  if (agent.budgetCostUsdPerDay !== null) {
    const day = utcDay(now);
    const row = prepared(state, "budget.dayCost", () =>
      tx
        .select({ costUsd: agentDailyUsage.costUsd })
        .from(agentDailyUsage)
        .where(and(eq(agentDailyUsage.agentId, slot("agentId")), eq(agentDailyUsage.day, slot("day"))))
        .prepare(),
    ).get({ agentId: agent.id, day });
    usage.push({ budget: "cost_per_day", period: day, used: row?.costUsd ?? 0, limit: agent.budgetCostUsdPerDay });
  }
  if (agent.budgetTokensPerSession !== null) {
    const open = prepared(state, "budget.openSession", () =>
      tx
        .select({ id: agentSessions.id })
        .from(agentSessions)
        .where(and(eq(agentSessions.agentId, slot("agentId")), isNull(agentSessions.endedAt)))
        .prepare(),
    ).get({ agentId: agent.id });
    for (const sessionId of new Set([...sessionIds, ...(open ? [open.id] : [])])) {
      const session = prepared(state, "budget.sessionTokens", () =>
        tx
          .select({ tokens: agentSessions.tokens })
          .from(agentSessions)
          .where(and(eq(agentSessions.id, slot("sessionId")), eq(agentSessions.agentId, slot("agentId"))))
          .prepare(),
      ).get({ sessionId, agentId: agent.id });
      if (session) {
        usage.push({
          budget: "tokens_per_session",
          period: sessionId,
          used: session.tokens,
          limit: agent.budgetTokensPerSession,
        });
      }
    }
  }
  return usage;
}

/**
 * Raises an alert the first time an agent's usage crosses 80, 90 and 100 % of a budget in a period
 * (stored, and pushed to dashboards through the change feed). `over` is true at 100 % or more.
 */
export function evaluateBudgets(
  state: ConnectionState,
  tx: DbOrTx,
  projectId: string,
  agent: AgentRow,
  sessionIds: string[],
  now: number,
): { alerts: ChangeEvent[]; over: boolean } {
  const alerts: ChangeEvent[] = [];
  let over = false;
  for (const usage of currentUsage(state, tx, agent, sessionIds, now)) {
    const percent = (usage.used / usage.limit) * 100;
    if (percent >= 100) over = true;
    for (const threshold of BUDGET_THRESHOLDS) {
      if (percent < threshold) break;
      const row = tx
        .insert(budgetAlerts)
        .values({ projectId, agentId: agent.id, ...usage, threshold, at: now })
        .onConflictDoNothing()
        .returning()
        .get();
      if (!row) continue;
      const alert: BudgetAlert = { ...row, agentName: agent.name, threshold };
      alerts.push(recordChange(state, tx, { projectId, entity: "alert", op: "created", at: now, data: alert }));
    }
  }
  return { alerts, over };
}
