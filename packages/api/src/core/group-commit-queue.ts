import type { TowerTx } from "@tower/db";
import type { ChangeEvent } from "@tower/shared";

/** The writes waiting for the next shared commit (group-commit.ts), kept in the connection's state. */
export interface GroupCommitQueue {
  jobs: GroupCommitJob[];
  /** A flush is due at the end of this turn of the loop (setImmediate) / of this tick (nextTick). */
  scheduled: { turn: boolean; tick: boolean };
}

export interface GroupCommitJob {
  run(tx: TowerTx): { value: unknown; events: readonly ChangeEvent[] };
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export function createGroupCommitQueue(): GroupCommitQueue {
  return { jobs: [], scheduled: { turn: false, tick: false } };
}
