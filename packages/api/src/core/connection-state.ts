import { createBulkLane, type BulkLane } from "./bulk-lane";
import { createGroupCommitQueue, type GroupCommitQueue } from "./group-commit-queue";
import type { TowerAuditRow } from "./ports";

/**
 * What the app keeps beside one database connection, in memory: created once with the connection
 * (by `createDeps`, or a test's deps) and carried by `Deps` as `state`, so reading `Deps` shows all
 * a connection carries and no module keeps state of its own in a hidden map.
 */
export interface ConnectionState {
  /**
   * The change feed (`publishChanges`): the change id through which every committed change has
   * been published on the bus; null until the first publication (or `prepareToPublish`).
   */
  changesPublished: { through: number } | null;
  /**
   * The projects whose live audit tails are woken once the current synchronous transaction is over
   * (`wakeAuditTails`): one wake-up per project however many rows the transaction appended.
   */
  auditWakes: Set<string>;
  /**
   * Each project's live audit feed (`listenToAudit` in audit/audit-feed.ts, which alone reads and
   * writes it): one reader per project, shared by all of its tails.
   */
  auditFeeds: Map<string, object>;
  /**
   * The queries prepared on this connection (`prepared` in prepared.ts, which alone reads and
   * writes it), by key. A statement prepared on one connection must never run on another, so a
   * connection of its own (the ingest writer thread's) has a state of its own.
   */
  preparedQueries: Map<string, unknown>;
  /**
   * The rollup cache's statements and cached hours (`rollup-cache.ts`, which alone reads and
   * writes it); null until the first rollup read.
   */
  rollups: object | null;
  /**
   * Compiled policies by project and compiled agent profiles (`policy/policy-cache.ts`, which alone
   * reads and writes it); null until the first policy check.
   */
  policies: object | null;
  /**
   * Policy decisions answered and waiting to be handed to the ingest writer, by project
   * (`policy/decision-log.ts`, which alone reads and writes it).
   */
  decisionLog: Map<string, TowerAuditRow[]>;
  /** The decision log's hand-overs to the writer not committed yet (see `flushDecisions`). */
  decisionFlushes: Set<Promise<void>>;
  /**
   * Bulk work's turns on the event loop this connection's calls run on (`core/bulk-lane.ts`): one
   * slice per turn, so interactive calls never wait behind whole batches.
   */
  bulkLane: BulkLane;
  /** Small writes waiting to share the next commit (`core/group-commit.ts`, which alone reads and writes it). */
  groupCommit: GroupCommitQueue;
  /**
   * The test suites running now, by run id (`suites/suite-runner.ts`, which alone reads and writes
   * it): cancelling one aborts it, and shutdown stops them all before the database closes.
   */
  runningSuites: Map<string, { abort: AbortController; done: Promise<void> }>;
  /**
   * Agents waiting on their live connection for runs, by project (`work/run-handoff.ts`, which
   * alone reads and writes it): a run queued meanwhile is claimed for them as it is queued.
   */
  waitingAgents: Map<string, Set<object>>;
  /**
   * The runs each agent's open assignment streams hold, by agent id (`work/run-assignments.ts`,
   * which alone reads and writes it): the agent's cap on runs held counts across all its streams.
   */
  heldByAgent: Map<string, Set<ReadonlyMap<string, number>>>;
}

export function createConnectionState(): ConnectionState {
  return {
    changesPublished: null,
    auditWakes: new Set(),
    auditFeeds: new Map(),
    preparedQueries: new Map(),
    rollups: null,
    policies: null,
    decisionLog: new Map(),
    decisionFlushes: new Set(),
    bulkLane: createBulkLane(),
    groupCommit: createGroupCommitQueue(),
    runningSuites: new Map(),
    waitingAgents: new Map(),
    heldByAgent: new Map(),
  };
}
