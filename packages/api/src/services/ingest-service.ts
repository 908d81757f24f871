import { agentDailyUsage, agentSessions, type DbOrTx, type TowerDb } from "@tower/db";
import {
  describeInputProblem,
  findInputProblem,
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
import { chainHead, hashAuditRow, wakeAuditTails } from "./audit-service";
import { evaluateBudgets, utcDay } from "./budget-service";
import { prepareToPublish, publishChanges } from "./change-feed";
import { ingestStatements, type IngestStatements } from "./ingest-statements";
import { latencyBucket } from "./latency";
import { effectivePrices } from "./price-service";
import { describeIssues } from "./zod-issues";
import { prepared, slot } from "./prepared";

type ReportItem = z.output<typeof ReportItemSchema>;
type MetricItem = Extract<ReportItem, { kind: "metric" }>;
type EventItem = Extract<ReportItem, { kind: "event" }>;

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

const MINUTE = 60_000;

type RollupCounters = {
  count: number;
  successes: number;
  failures: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  executionMsSum: number;
  executionCount: number;
  events: number;
};

const zeroCounters = (): RollupCounters => ({
  count: 0,
  successes: 0,
  failures: 0,
  tokensIn: 0,
  tokensOut: 0,
  costUsd: 0,
  executionMsSum: 0,
  executionCount: 0,
  events: 0,
});

/**
 * One batch's writes that can wait for its end: rollup increments summed per agent, model and
 * minute (a batch of 1,000 reports usually touches a handful of rows), and the audit chain head.
 */
class BatchWriter {
  readonly rollups = new Map<string, { agentId: string; model: string; minute: number; add: RollupCounters }>();
  readonly latency = new Map<
    string,
    { agentId: string; model: string; minute: number; bucket: number; count: number }
  >();
  auditAppended = false;

  constructor(
    private readonly statements: IngestStatements,
    private readonly projectId: string,
    /** The hash of the project's last audit row, as it stands inside this transaction. */
    private head: string,
  ) {}

  rollup(agentId: string, model: string, at: number, add: Partial<RollupCounters>) {
    const minute = at - (at % MINUTE);
    const key = `${agentId}|${model}|${minute}`;
    let row = this.rollups.get(key);
    if (!row) this.rollups.set(key, (row = { agentId, model, minute, add: zeroCounters() }));
    for (const [counter, value] of Object.entries(add) as [keyof RollupCounters, number][]) row.add[counter] += value;
  }

  latencySample(agentId: string, model: string, at: number, executionMs: number) {
    const minute = at - (at % MINUTE);
    const bucket = latencyBucket(executionMs);
    const key = `${agentId}|${model}|${minute}|${bucket}`;
    const row = this.latency.get(key);
    if (row) row.count++;
    else this.latency.set(key, { agentId, model, minute, bucket, count: 1 });
  }

  /**
   * Appends an agent's event to the hash chain; false when its id was stored before. The row's time
   * and place in the chain are Tower's own, the order of commit (retention relies on the time); the
   * agent's claimed time (`reportedAt`) and its per-session sequence number (`seq`) are kept beside
   * them, hashed with the row, so a session can be shown in the agent's order. The prefix of the
   * key that reported it is kept in the detail (`reportedWith`), so a row tells which key did it.
   */
  appendEvent(agent: AgentRow, item: EventItem, now: number, via: string | null): boolean {
    // Well formed already: the item was checked by `checkReports`, the agent read from the database.
    const content = {
      projectId: this.projectId,
      at: now,
      actorType: "agent" as const,
      actorId: agent.id,
      actorName: agent.name,
      operation: item.operation,
      target: item.target,
      decision: item.decision,
      agentId: agent.id,
      sessionId: item.sessionId ?? null,
      detail: via === null ? item.detail : { ...item.detail, reportedWith: via },
      prevHash: this.head,
      reportedAt: item.at ?? null,
      seq: item.seq ?? null,
    };
    const detail = JSON.stringify(content.detail);
    const hash = hashAuditRow(content, detail);
    // Stores exactly what was hashed.
    const { changes } = this.statements.insertAudit.run(
      content.projectId,
      content.at,
      content.actorType,
      content.actorId,
      content.actorName,
      content.operation,
      content.target,
      content.decision ?? null,
      content.agentId,
      content.sessionId,
      detail,
      item.id,
      content.prevHash,
      hash,
      content.reportedAt,
      content.seq,
    );
    if (changes === 0) return false;
    this.head = hash;
    this.auditAppended = true;
    return true;
  }

  flush() {
    for (const { agentId, model, minute, add } of this.rollups.values()) {
      this.statements.upsertRollup.run({ projectId: this.projectId, agentId, model, minute, ...add });
    }
    for (const row of this.latency.values()) this.statements.upsertLatency.run({ projectId: this.projectId, ...row });
  }
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
      if (evaluateBudgets(tx, projectId, delta.agent, [], now).over) overBudget.push(delta.agent.name);
      continue;
    }
    const lastActiveAt = Math.max(delta.agent.lastActiveAt ?? 0, delta.lastActiveAt);
    for (const [sessionId, add] of delta.sessions) {
      prepared(tx, "ingest.sessionTotals", () =>
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
      prepared(tx, "ingest.dailyUsage", () =>
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
        ? writeAgentTx(tx, delta.agent, changes, now)
        : { agent: delta.agent, event: null };
    if (written.event) events.push(written.event);
    const budget = evaluateBudgets(tx, projectId, written.agent, [...delta.sessions.keys()], now);
    events.push(...budget.alerts);
    if (budget.over) overBudget.push(delta.agent.name);
  }
  return overBudget;
}

/** A report as checked where it arrived: its parsed value, or why it is refused. */
export type CheckedReport =
  { id: string | null; item: ReportItem; reason?: never } | { id: string | null; item?: never; reason: string };

/**
 * Validates reports one by one: nesting and Unicode first (as every input), then the schema. Runs
 * on the thread that received them, so the writer only stores.
 */
export function checkReports(items: unknown[]): CheckedReport[] {
  return items.map((raw) => {
    const rawId = raw && typeof raw === "object" ? (raw as { id?: unknown }).id : undefined;
    const id = typeof rawId === "string" ? rawId.slice(0, 64) : null;
    const problem = findInputProblem(raw);
    if (problem) return { id, reason: describeInputProblem(problem) };
    const parsed = ReportItemSchema.safeParse(raw);
    return parsed.success ? { id, item: parsed.data } : { id, reason: describeIssues(parsed.error) };
  });
}

/** Stores one checked batch inside the caller's transaction; returns its per-item answer. */
function ingestTx(
  db: TowerDb,
  tx: DbOrTx,
  { projectId, items, now, via = null }: IngestBatch,
  events: ChangeEvent[],
): { result: IngestResult; auditAppended: boolean } {
  const statements = ingestStatements(db);
  const writer = new BatchWriter(statements, projectId, chainHead(tx, projectId));
  const agents = new Map<string, AgentRow | null>();
  let projectPrices: Record<string, ModelPrice> | undefined;
  const prices = () => (projectPrices ??= effectivePrices(tx, projectId));
  const deltas = new Map<string, AgentDelta>();
  const results: IngestItemResult[] = items.map((checked) => {
    const { id } = checked;
    if (!checked.item) return { id, status: "rejected", reason: checked.reason };
    const { item } = checked;
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
  writer.flush();
  const overBudget = applyDeltas(tx, projectId, deltas, now, events);
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

/**
 * Reports per group commit: enough to amortise the commit, few enough that one commit holds the
 * writer (its thread, or the event loop when in process) for milliseconds, not tens of them. A single larger report (up to 1,000 items) is
 * still one commit: splitting it would pay a second fsync for every such report.
 */
const MAX_COMMIT_ITEMS = 500;

/** One report as handed to the writer; `now` is the caller's clock, so tests can move time. */
export interface IngestBatch {
  projectId: string;
  items: CheckedReport[];
  now: number;
  /** The prefix of the API key the reports came with, recorded with each event. */
  via?: string | null;
}

/** What a committed batch produced: its answer, the changes to publish, whether the audit trail grew. */
export interface IngestOutcome {
  result: IngestResult;
  events: ChangeEvent[];
  auditAppended: boolean;
}

/**
 * Stores reports. In the server it runs on its own thread and database connection
 * (`startIngestWriterThread`), so ingest commits never hold up queries; tests and in-memory
 * databases use the in-process writer from `createIngestWriter`.
 */
export interface IngestWriter {
  submit(batch: IngestBatch): Promise<IngestOutcome>;
  /** Waits for what was submitted, then stops. */
  close(): Promise<void>;
}

interface Pending extends IngestBatch {
  resolve: (outcome: IngestOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: batches that arrive while one commit is being prepared are written in the same
 * transaction (each in its own savepoint, so one failing batch never takes the others down), and
 * every caller is answered only after that commit returned.
 */
class GroupCommitter implements IngestWriter {
  #queue: Pending[] = [];
  #scheduled = false;
  #idle: (() => void) | undefined;

  constructor(private readonly db: TowerDb) {}

  submit(batch: IngestBatch): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...batch, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  close(): Promise<void> {
    if (!this.#scheduled) return Promise.resolve();
    return new Promise((resolve) => (this.#idle = resolve));
  }

  #flush() {
    // One commit takes whole batches up to MAX_COMMIT_ITEMS; the rest waits for the next turn of
    // the event loop.
    let items = 0;
    let take = 0;
    while (take < this.#queue.length && (take === 0 || items + this.#queue[take]!.items.length <= MAX_COMMIT_ITEMS)) {
      items += this.#queue[take]!.items.length;
      take++;
    }
    const batch = this.#queue.splice(0, take);
    if (this.#queue.length > 0) setImmediate(() => this.#flush());
    else this.#scheduled = false;
    const outcomes: ({ ok: true; outcome: IngestOutcome } | { ok: false; error: unknown })[] = [];
    try {
      this.db.transaction((tx) => {
        for (const pending of batch) {
          const events: ChangeEvent[] = [];
          try {
            const stored = tx.transaction((sp) => ingestTx(this.db, sp, pending, events));
            outcomes.push({ ok: true, outcome: { ...stored, events } });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
      batch.forEach((pending, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) pending.resolve(outcome.outcome);
        else pending.reject(outcome.error);
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    } finally {
      if (!this.#scheduled) this.#idle?.();
    }
  }
}

/** The in-process writer, on the caller's connection and thread. */
export function createIngestWriter(db: TowerDb): IngestWriter {
  return new GroupCommitter(db);
}

/**
 * Stores a batch of reports; resolves after the commit that made them durable, once its changes
 * are published and the project's live audit tails are woken.
 */
export async function ingestReports(
  deps: Deps,
  projectId: string,
  items: unknown[],
  {
    actsAs = null,
    via = null,
  }: {
    /** An agent key's agents: a report as any other agent is refused (alone, like any bad report). */
    actsAs?: readonly string[] | null;
    /** The reporting key's prefix, recorded with each event. */
    via?: string | null;
  } = {},
): Promise<IngestResult> {
  prepareToPublish(deps);
  const checked = checkReports(items);
  if (actsAs) {
    for (const [i, report] of checked.entries()) {
      if (report.item && !actsAs.includes(report.item.agent)) {
        checked[i] = {
          id: report.id,
          reason: `agent: this key cannot report as "${report.item.agent}"; it runs ${actsAs.join(", ")}`,
        };
      }
    }
  }
  const { result, events, auditAppended } = await deps.ingestWriter.submit({
    projectId,
    items: checked,
    now: deps.clock.now(),
    via,
  });
  publishChanges(deps, events);
  if (auditAppended) wakeAuditTails(deps, projectId);
  return result;
}
