import {
  agentDailyUsage,
  agentSessions,
  auditEvents,
  latencyRollups,
  metricRollups,
  metrics,
  type DbOrTx,
} from "@tower/db";
import {
  priceTokens,
  ReportItemSchema,
  type ChangeEvent,
  type IngestItemResult,
  type IngestResult,
  type ModelPrice,
} from "@tower/shared";
import { and, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Deps } from "../context";
import { findAgentByName, writeAgentTx, type AgentRow } from "./agent-writes";
import { appendAudit } from "./audit-service";
import { evaluateBudgets, utcDay } from "./budget-service";
import { latencyBucket } from "./latency";
import { effectivePrices } from "./price-service";
import { describeIssues } from "./zod-issues";

type ReportItem = z.output<typeof ReportItemSchema>;
type MetricItem = Extract<ReportItem, { kind: "metric" }>;

/** What one batch changed per agent, applied once at the end of the batch. */
interface AgentDelta {
  agent: AgentRow;
  runs: number;
  successes: number;
  executionMs: number;
  lastActiveAt: number;
  sessions: Map<string, { tokens: number; costUsd: number }>;
  dayCost: number;
  dayTokens: number;
}

const MINUTE = 60_000;

type RollupCounter =
  | "count"
  | "successes"
  | "failures"
  | "tokensIn"
  | "tokensOut"
  | "costUsd"
  | "executionMsSum"
  | "executionCount"
  | "events";

/** Adds to the agent's per-minute rollup row, creating it on first use. */
function rollup(
  tx: DbOrTx,
  projectId: string,
  agentId: string,
  model: string,
  at: number,
  add: Partial<Record<RollupCounter, number>>,
) {
  const minute = at - (at % MINUTE);
  const set = Object.fromEntries(
    Object.entries(add).map(([column, value]) => [column, sql`${metricRollups[column as RollupCounter]} + ${value}`]),
  );
  tx.insert(metricRollups)
    .values({ projectId, agentId, model, minute, ...add })
    .onConflictDoUpdate({
      target: [metricRollups.projectId, metricRollups.agentId, metricRollups.model, metricRollups.minute],
      set,
    })
    .run();
}

function storeMetric(
  tx: DbOrTx,
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
  const inserted = tx
    .insert(metrics)
    .values({
      projectId,
      clientId: item.id,
      agentId: agent.id,
      sessionId: item.sessionId ?? null,
      type: item.type,
      executionMs: item.executionMs ?? null,
      success: item.success ?? null,
      tokensIn: item.tokensIn,
      tokensOut: item.tokensOut,
      model: item.model ?? null,
      costUsd,
      costSource,
      quality: item.quality ?? null,
      at,
    })
    .onConflictDoNothing()
    .run();
  if (inserted.changes === 0) return false;
  const tokens = item.tokensIn + item.tokensOut;
  rollup(tx, projectId, agent.id, item.model ?? "", at, {
    count: 1,
    successes: item.success === true ? 1 : 0,
    failures: item.success === false ? 1 : 0,
    tokensIn: item.tokensIn,
    tokensOut: item.tokensOut,
    costUsd,
    executionMsSum: item.executionMs ?? 0,
    executionCount: item.executionMs === undefined ? 0 : 1,
  });
  if (item.executionMs !== undefined) {
    tx.insert(latencyRollups)
      .values({
        projectId,
        agentId: agent.id,
        model: item.model ?? "",
        minute: at - (at % MINUTE),
        bucket: latencyBucket(item.executionMs),
        count: 1,
      })
      .onConflictDoUpdate({
        target: [
          latencyRollups.projectId,
          latencyRollups.agentId,
          latencyRollups.model,
          latencyRollups.minute,
          latencyRollups.bucket,
        ],
        set: { count: sql`${latencyRollups.count} + 1` },
      })
      .run();
  }
  if (item.success !== undefined) {
    delta.runs++;
    if (item.success) delta.successes++;
    delta.executionMs += item.executionMs ?? 0;
  }
  if (item.sessionId) {
    const session = delta.sessions.get(item.sessionId) ?? { tokens: 0, costUsd: 0 };
    session.tokens += tokens;
    session.costUsd += costUsd;
    delta.sessions.set(item.sessionId, session);
  }
  delta.dayCost += costUsd;
  delta.dayTokens += tokens;
  return true;
}

function storeEvent(
  deps: Deps,
  tx: DbOrTx,
  projectId: string,
  agent: AgentRow,
  item: Extract<ReportItem, { kind: "event" }>,
  at: number,
) {
  const seen = tx
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(and(eq(auditEvents.projectId, projectId), eq(auditEvents.clientId, item.id)))
    .get();
  if (seen) return false;
  appendAudit(
    deps,
    tx,
    projectId,
    { type: "agent", id: agent.id, name: agent.name },
    {
      operation: item.operation,
      target: item.target,
      decision: item.decision,
      agentId: agent.id,
      sessionId: item.sessionId ?? null,
      detail: item.detail,
      clientId: item.id,
    },
    at,
  );
  rollup(tx, projectId, agent.id, "", at, { events: 1 });
  return true;
}

/** Applies a batch's per-agent totals: counters, session totals, daily usage, then budgets. */
function applyDeltas(
  tx: DbOrTx,
  projectId: string,
  deltas: Map<string, AgentDelta>,
  now: number,
  events: ChangeEvent[],
) {
  const overBudget: string[] = [];
  for (const delta of deltas.values()) {
    for (const [sessionId, add] of delta.sessions) {
      tx.update(agentSessions)
        .set({
          tokens: sql`${agentSessions.tokens} + ${add.tokens}`,
          costUsd: sql`${agentSessions.costUsd} + ${add.costUsd}`,
        })
        .where(and(eq(agentSessions.id, sessionId), eq(agentSessions.agentId, delta.agent.id)))
        .run();
    }
    if (delta.dayCost > 0 || delta.dayTokens > 0) {
      tx.insert(agentDailyUsage)
        .values({ agentId: delta.agent.id, day: utcDay(now), costUsd: delta.dayCost, tokens: delta.dayTokens })
        .onConflictDoUpdate({
          target: [agentDailyUsage.agentId, agentDailyUsage.day],
          set: {
            costUsd: sql`${agentDailyUsage.costUsd} + ${delta.dayCost}`,
            tokens: sql`${agentDailyUsage.tokens} + ${delta.dayTokens}`,
          },
        })
        .run();
    }
    const changes =
      delta.runs > 0
        ? {
            lastActiveAt: delta.lastActiveAt,
            runsCount: delta.agent.runsCount + delta.runs,
            successCount: delta.agent.successCount + delta.successes,
            totalExecutionMs: delta.agent.totalExecutionMs + delta.executionMs,
          }
        : { lastActiveAt: delta.lastActiveAt };
    const written = writeAgentTx(tx, delta.agent, changes, now);
    if (written.event) events.push(written.event);
    const budget = evaluateBudgets(tx, projectId, written.agent, [...delta.sessions.keys()], now);
    events.push(...budget.alerts);
    if (budget.over) overBudget.push(delta.agent.name);
  }
  return overBudget;
}

/** Validates and stores one batch inside the caller's transaction; returns its per-item answer. */
function ingestTx(
  deps: Deps,
  tx: DbOrTx,
  projectId: string,
  items: unknown[],
  now: number,
  events: ChangeEvent[],
): IngestResult {
  const agents = new Map<string, AgentRow | null>();
  let projectPrices: Record<string, ModelPrice> | undefined;
  const prices = () => (projectPrices ??= effectivePrices(tx, projectId));
  const deltas = new Map<string, AgentDelta>();
  const results: IngestItemResult[] = items.map((raw) => {
    const parsed = ReportItemSchema.safeParse(raw);
    const rawId = raw && typeof raw === "object" ? (raw as { id?: unknown }).id : undefined;
    const id = typeof rawId === "string" ? rawId.slice(0, 64) : null;
    if (!parsed.success) return { id, status: "rejected", reason: describeIssues(parsed.error) };
    const item = parsed.data;
    if (!agents.has(item.agent)) agents.set(item.agent, findAgentByName(tx, projectId, item.agent) ?? null);
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
        sessions: new Map(),
        dayCost: 0,
        dayTokens: 0,
      };
      deltas.set(agent.id, delta);
    }
    const stored =
      item.kind === "event"
        ? storeEvent(deps, tx, projectId, agent, item, at)
        : storeMetric(tx, projectId, agent, item, at, delta, prices);
    if (stored) delta.lastActiveAt = Math.max(delta.lastActiveAt, Math.min(at, now));
    return { id, status: stored ? "stored" : "duplicate" };
  });
  const overBudget = applyDeltas(tx, projectId, deltas, now, events);
  const count = (status: IngestItemResult["status"]) => results.filter((r) => r.status === status).length;
  return { results, stored: count("stored"), duplicates: count("duplicate"), rejected: count("rejected"), overBudget };
}

interface Pending {
  projectId: string;
  items: unknown[];
  resolve: (result: IngestResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: batches that arrive while one commit is being prepared are written in the same
 * transaction (each in its own savepoint, so one failing batch never takes the others down), and
 * every caller is answered only after that commit returned.
 */
class GroupCommitter {
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(private readonly deps: Deps) {}

  submit(projectId: string, items: unknown[]): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ projectId, items, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush() {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    const now = this.deps.clock.now();
    const events: ChangeEvent[] = [];
    const outcomes: ({ ok: true; result: IngestResult } | { ok: false; error: unknown })[] = [];
    try {
      this.deps.db.transaction((tx) => {
        for (const pending of batch) {
          const before = events.length;
          try {
            outcomes.push({
              ok: true,
              result: tx.transaction((sp) => ingestTx(this.deps, sp, pending.projectId, pending.items, now, events)),
            });
          } catch (error) {
            events.length = before;
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    for (const event of events) this.deps.bus.publish(event);
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) pending.resolve(outcome.result);
      else pending.reject(outcome.error);
    });
  }
}

const committers = new WeakMap<Deps["db"], GroupCommitter>();

/** Stores a batch of reports; resolves after the commit that made them durable. */
export function ingestReports(deps: Deps, projectId: string, items: unknown[]): Promise<IngestResult> {
  let committer = committers.get(deps.db);
  if (!committer) committers.set(deps.db, (committer = new GroupCommitter(deps)));
  return committer.submit(projectId, items);
}
