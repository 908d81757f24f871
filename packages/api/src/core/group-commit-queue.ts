import type { TowerTx } from "@tower/db";
import type { ChangeEvent } from "@tower/shared";

/** The writes waiting for the next shared commit (group-commit.ts), kept in the connection's state. */
export interface GroupCommitQueue {
  jobs: GroupCommitJob[];
  /** A flush is due at the end of this turn of the loop (setImmediate) / of this tick (nextTick). */
  scheduled: { turn: boolean; tick: boolean };
  /**
   * How much of the event loop one commit may take: once its jobs have run this long, it commits
   * those and leaves the rest for the next turn, so a burst (a fleet of agents starting at once)
   * cannot hold every other call until all of it is done.
   */
  budgetMs: number;
}

export const COMMIT_BUDGET_MS = 20;

export interface GroupCommitJob {
  run(tx: TowerTx): { value: unknown; events: readonly ChangeEvent[] };
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export function createGroupCommitQueue(): GroupCommitQueue {
  return { jobs: [], scheduled: { turn: false, tick: false }, budgetMs: COMMIT_BUDGET_MS };
}
