import { agentDailyUsage, agents, agentSessions, type DbOrTx, type TowerDb } from "@tower/db";
import {
  priceTokens,
  type ChangeEvent,
  type IngestItemResult,
  type IngestResult,
  type ModelPrice,
} from "@tower/shared";
import { and, eq, isNull, sql } from "drizzle-orm";
import { findAgentByName, writeAgentTx, type AgentRow } from "../agents/agent-writes";
import { chainHead } from "../core/audit-chain";
import type { ConnectionState } from "../core/connection-state";
import type { IngestBatch, ReportItem } from "../core/ports";
import { prepared, slot } from "../core/prepared";
import { evaluateBudgets, utcDay } from "../telemetry/budget-service";
import { effectivePrices } from "../telemetry/price-service";
import { BatchWriter } from "./batch-writer";
import { ingestStatements, type IngestStatements } from "./ingest-statements";

type MetricItem = Extract<ReportItem, { kind: "metric" }>;

/** What one batch changed per agent, applied once at the end of the batch. */
interface AgentDelta {
  agent: AgentRow;
  runs: number;
  successes: number;
  executionMs: number;
  lastActiveAt: number;
  /** Reports of this agent the batch actually stored (not duplicates). */
  stored: number;
  sessions: Map<string, { tokens: number; costUsd: number; runs: number; successes: number }>;
  dayCost: number;
  dayTokens: number;
}

function storeMetric(
  statements: IngestStatements,
  writer: BatchWriter,
  projectId: string,
  agent: AgentRow,
  item: MetricItem,
  at: number,
  delta: AgentDelta,
  prices: () => Record<string, ModelPrice>,
) {
  const priced = item.costUsd ?? priceTokens(prices(), item.model, item.tokensIn, item.tokensOut);
  const costSource = item.costUsd !== undefined ? "reported" : priced !== null ? "price_table" : "unpriced";
  const costUsd = priced ?? 0;
  const inserted = statements.insertMetric.run(
    projectId,
    item.id,
    agent.id,
    item.sessionId ?? null,
    item.type,
    item.executionMs ?? null,
    item.success === undefined ? null : item.success ? 1 : 0,
    item.tokensIn,
    item.tokensOut,
    item.model ?? null,
    costUsd,
    costSource,
    item.quality ?? null,
    at,
    item.seq ?? null,
  );
  if (inserted.changes === 0) return false;
  const tokens = item.tokensIn + item.tokensOut;
  const model = item.model ?? "";
  writer.rollup(agent.id, model, at, {
    count: 1,
    successes: item.success === true ? 1 : 0,
    failures: item.success === false ? 1 : 0,
    tokensIn: item.tokensIn,
    tokensOut: item.tokensOut,
    costUsd,
    executionMsSum: item.executionMs ?? 0,
    executionCount: item.executionMs === undefined ? 0 : 1,
  });
  if (item.executionMs !== undefined) writer.latencySample(agent.id, model, at, item.executionMs);
  if (item.success !== undefined) {
    delta.runs++;
    if (item.success) delta.successes++;
    delta.executionMs += item.executionMs ?? 0;
  }
  if (item.sessionId) {
    const session = delta.sessions.get(item.sessionId) ?? { tokens: 0, costUsd: 0, runs: 0, successes: 0 };
    session.tokens += tokens;
    session.costUsd += costUsd;
    if (item.success !== undefined) session.runs++;
    if (item.success === true) session.successes++;
    delta.sessions.set(item.sessionId, session);
  }
  delta.dayCost += costUsd;
  delta.dayTokens += tokens;
  return true;
}

/** Applies a batch's per-agent totals: counters, session totals, daily usage, then budgets. */
/** How far `lastActiveAt` must move before events alone rewrite the agent (see applyDeltas). */
export const ACTIVITY_RESOLUTION_MS = 1_000;

function applyDeltas(
  state: ConnectionState,
  tx: DbOrTx,
  projectId: string,
  deltas: Map<string, AgentDelta>,
  now: number,
  events: ChangeEvent[],
) {
  const overBudget: string[] = [];
  for (const delta of deltas.values()) {
    // A batch of retries stores nothing new: nothing to write, but the agent still hears its budget state.
    if (delta.stored === 0) {
      if (evaluateBudgets(state, tx, projectId, delta.agent, [], now).over) overBudget.push(delta.agent.name);
      continue;
    }
    const lastActiveAt = Math.max(delta.agent.lastActiveAt ?? 0, delta.lastActiveAt);
    for (const [sessionId, add] of delta.sessions) {
      prepared(state, "ingest.sessionTotals", () =>
        tx
          .update(agentSessions)
          .set({
            tokens: sql`${agentSessions.tokens} + ${slot("tokens")}`,
            costUsd: sql`${agentSessions.costUsd} + ${slot("costUsd")}`,
            runs: sql`${agentSessions.runs} + ${slot("runs")}`,
            successes: sql`${agentSessions.successes} + ${slot("successes")}`,
          })
          .where(and(eq(agentSessions.id, slot("sessionId")), eq(agentSessions.agentId, slot("agentId"))))
          .prepare(),
      ).run({ ...add, sessionId, agentId: delta.agent.id });
    }
    if (delta.dayCost > 0 || delta.dayTokens > 0) {
      prepared(state, "ingest.dailyUsage", () =>
        tx
          .insert(agentDailyUsage)
          .values({ agentId: slot("agentId"), day: slot("day"), costUsd: slot("costUsd"), tokens: slot("tokens") })
          .onConflictDoUpdate({
            target: [agentDailyUsage.agentId, agentDailyUsage.day],
            set: {
              costUsd: sql`${agentDailyUsage.costUsd} + excluded.cost_usd`,
              tokens: sql`${agentDailyUsage.tokens} + excluded.tokens`,
            },
          })
          .prepare(),
      ).run({ agentId: delta.agent.id, day: utcDay(now), costUsd: delta.dayCost, tokens: delta.dayTokens });
    }
    const changes =
      delta.runs > 0
        ? {
            lastActiveAt,
            runsCount: delta.agent.runsCount + delta.runs,
            successCount: delta.agent.successCount + delta.successes,
            totalExecutionMs: delta.agent.totalExecutionMs + delta.executionMs,
          }
        : { lastActiveAt };
    // Events alone move only `lastActiveAt`: to the second is enough for "last active", and an
    // agent sending many small batches then costs one agent write (and one change pushed to every
    // dashboard) per second instead of one per batch.
    const moved = lastActiveAt - (delta.agent.lastActiveAt ?? 0);
    const written =
      delta.runs > 0 || moved >= ACTIVITY_RESOLUTION_MS
        ? writeAgentTx(state, tx, delta.agent, changes, now)
        : { agent: delta.agent, event: null };
    if (written.event) events.push(written.event);
    const budget = evaluateBudgets(state, tx, projectId, written.agent, [...delta.sessions.keys()], now);
    events.push(...budget.alerts);
    if (budget.over) overBudget.push(delta.agent.name);
  }
  return overBudget;
}

/** Stores one checked batch inside the caller's transaction; returns its per-item answer. */
export function ingestTx(
  state: ConnectionState,
  db: TowerDb,
  tx: DbOrTx,
  { projectId, items, now, via = null, rows = [], heartbeats = [] }: IngestBatch,
  events: ChangeEvent[],
): { result: IngestResult; auditAppended: boolean } {
  const statements = ingestStatements(state, db);
  const writer = new BatchWriter(statements, projectId, chainHead(state, tx, projectId));
  const agents = new Map<string, AgentRow | null>();
  let projectPrices: Record<string, ModelPrice> | undefined;
  const prices = () => (projectPrices ??= effectivePrices(tx, projectId));
  const deltas = new Map<string, AgentDelta>();
  const results: IngestItemResult[] = items.map((checked) => {
    const { id } = checked;
    if (!checked.item) return { id, status: "rejected", reason: checked.reason };
    const { item } = checked;
    if (!agents.has(item.agent)) agents.set(item.agent, findAgentByName(state, tx, projectId, item.agent) ?? null);
    const agent = agents.get(item.agent);
    if (!agent) return { id, status: "rejected", reason: `agent: Unknown agent "${item.agent}"; register it first` };
    if (agent.status === "disabled") return { id, status: "rejected", reason: `agent: "${item.agent}" is disabled` };
    const at = item.at ?? now;
    let delta = deltas.get(agent.id);
    if (!delta) {
      delta = {
        agent,
        runs: 0,
        successes: 0,
        executionMs: 0,
        lastActiveAt: 0,
        stored: 0,
        sessions: new Map(),
        dayCost: 0,
        dayTokens: 0,
      };
      deltas.set(agent.id, delta);
    }
    let stored: boolean;
    if (item.kind === "event") {
      stored = writer.appendEvent(agent, item, now, via);
      if (stored) writer.rollup(agent.id, "", at, { events: 1 });
    } else {
      stored = storeMetric(statements, writer, projectId, agent, item, at, delta, prices);
    }
    if (stored) {
      delta.stored++;
      delta.lastActiveAt = Math.max(delta.lastActiveAt, Math.min(at, now));
    }
    return { id, status: stored ? "stored" : "duplicate" };
  });
  for (const row of rows) {
    if (writer.appendRow(row, now) && row.entry.agentId) writer.rollup(row.entry.agentId, "", now, { events: 1 });
  }
  writer.flush();
  for (const { sessionId, agentId } of heartbeats) recordHeartbeat(state, tx, sessionId, agentId, now);
  const overBudget = applyDeltas(state, tx, projectId, deltas, now, events);
  const count = (status: IngestItemResult["status"]) => results.filter((r) => r.status === status).length;
  return {
    result: {
      results,
      stored: count("stored"),
      duplicates: count("duplicate"),
      rejected: count("rejected"),
      overBudget,
    },
    auditAppended: writer.auditAppended,
  };
}

/** A plain heartbeat (see sessions' `heartbeat`): an ended session stays ended, and no time goes back. */
function recordHeartbeat(state: ConnectionState, tx: DbOrTx, sessionId: string, agentId: string, now: number) {
  prepared(state, "ingest.sessionHeartbeat", () =>
    tx
      .update(agentSessions)
      .set({ lastHeartbeatAt: sql`max(${agentSessions.lastHeartbeatAt}, ${slot("now")})` })
      .where(and(eq(agentSessions.id, slot("sessionId")), isNull(agentSessions.endedAt)))
      .prepare(),
  ).run({ sessionId, now });
  prepared(state, "ingest.agentActive", () =>
    tx
      .update(agents)
      .set({ lastActiveAt: sql`max(coalesce(${agents.lastActiveAt}, 0), ${slot("now")})` })
      .where(eq(agents.id, slot("agentId")))
      .prepare(),
  ).run({ agentId, now });
}
