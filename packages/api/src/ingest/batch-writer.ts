import type { AgentRow } from "../agents/agent-writes";
import { appendAuditRow, buildAuditContent } from "../core/audit-chain";
import type { ReportItem, TowerAuditRow } from "../core/ports";
import { latencyBucket } from "../telemetry/latency";
import type { IngestStatements } from "./ingest-statements";

type EventItem = Extract<ReportItem, { kind: "event" }>;

const MINUTE = 60_000;

export type RollupCounters = {
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
export class BatchWriter {
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
    return this.appendRow(
      {
        clientId: item.id,
        actor: { type: "agent", id: agent.id, name: agent.name },
        entry: {
          operation: item.operation,
          target: item.target,
          decision: item.decision,
          agentId: agent.id,
          sessionId: item.sessionId,
          detail: via === null ? item.detail : { ...item.detail, reportedWith: via },
          reportedAt: item.at,
          seq: item.seq,
        },
      },
      now,
    );
  }

  /** Appends a row to the chain (well formed already); false when its client id was stored before. */
  appendRow({ clientId, actor, entry }: TowerAuditRow, now: number): boolean {
    const content = buildAuditContent(this.projectId, actor, entry, now, this.head);
    const hash = appendAuditRow(this.statements.insertAudit, content, clientId);
    if (hash === null) return false;
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
