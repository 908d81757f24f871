import type { TowerTx } from "@tower/db";
import type { ChangeEvent } from "@tower/shared";
import { publishChanges } from "./change-feed";
import type { Deps } from "./deps";

/**
 * Small writes that arrive together share one commit. Each commit waits for the disk's flush
 * (`synchronous = FULL`: about 2.5 ms here, a few hundred a second), so a busy queue of agents each
 * reporting a few runs is bounded by commits, not by work. A job handed to `groupCommit` waits
 * for the end of this turn of the event loop; every job waiting then runs in one transaction, each
 * in a savepoint of its own (one that throws is undone alone and rejects its caller; the others
 * stand), and their promises settle only once that transaction committed: nothing is answered
 * before it is on disk. The changes the jobs made are published after the commit, in order.
 */
export interface GroupCommitQueue {
  jobs: Job[];
  scheduled: boolean;
}

interface Job {
  run(tx: TowerTx): { value: unknown; events: readonly ChangeEvent[] };
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export function createGroupCommitQueue(): GroupCommitQueue {
  return { jobs: [], scheduled: false };
}

/** Runs `job` in the next shared transaction; resolves with its value once committed. */
export function groupCommit<T>(
  deps: Pick<Deps, "db" | "bus" | "state">,
  job: (tx: TowerTx) => { value: T; events: readonly ChangeEvent[] },
): Promise<T> {
  const queue = deps.state.groupCommit;
  return new Promise<T>((resolve, reject) => {
    queue.jobs.push({ run: job, resolve: resolve as (value: unknown) => void, reject });
    if (queue.scheduled) return;
    queue.scheduled = true;
    setImmediate(() => {
      queue.scheduled = false;
      commitAll(deps, queue.jobs.splice(0));
    });
  });
}

function commitAll(deps: Pick<Deps, "db" | "bus" | "state">, jobs: Job[]) {
  const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
  const events: ChangeEvent[] = [];
  try {
    deps.db.transaction((tx) => {
      for (const job of jobs) {
        try {
          const done = tx.transaction((savepoint) => job.run(savepoint));
          events.push(...done.events);
          outcomes.push({ ok: true, value: done.value });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
  } catch (error) {
    for (const job of jobs) job.reject(error); // the commit itself failed: nothing of it stands
    return;
  }
  publishChanges(deps, events);
  jobs.forEach((job, i) => {
    const outcome = outcomes[i]!;
    if (outcome.ok) job.resolve(outcome.value);
    else job.reject(outcome.error);
  });
}
