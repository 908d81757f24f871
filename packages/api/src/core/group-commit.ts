import { inSavepoint, type TowerTx } from "@tower/db";
import type { ChangeEvent } from "@tower/shared";
import { publishChanges } from "./change-feed";
import type { Deps } from "./deps";
import type { GroupCommitJob } from "./group-commit-queue";

// Small writes that arrive together share one commit. Each commit waits for the disk's flush
// (`synchronous = FULL`: 0.2–2.5 ms on these machines), so a busy queue of agents each reporting a
// few runs is bounded by commits, not by work. Every job waiting when the flush comes runs in one
// transaction, each in a savepoint of its own (one that throws is undone alone and rejects its
// caller; the others stand), and their promises settle only once that transaction committed:
// nothing is answered before it is on disk. The jobs' changes are published after the commit, in order.

/**
 * Runs `job` in the next shared transaction; resolves with its value once committed. `when`:
 * `turn` (default) waits for the end of this turn of the event loop, so writes from requests read
 * in the same turn share the commit; `tick` commits once the current burst of callbacks is over,
 * for writes that many waiters make at once on one wake-up (the assignment streams, when a run is
 * queued) and that someone is waiting on now.
 */
export function groupCommit<T>(
  deps: Pick<Deps, "db" | "bus" | "state">,
  job: (tx: TowerTx) => { value: T; events: readonly ChangeEvent[] },
  when: "turn" | "tick" = "turn",
): Promise<T> {
  const queue = deps.state.groupCommit;
  return new Promise<T>((resolve, reject) => {
    queue.jobs.push({ run: job, resolve: resolve as (value: unknown) => void, reject });
    if (queue.scheduled[when]) return;
    queue.scheduled[when] = true;
    const flush = () => {
      queue.scheduled[when] = false;
      // The other schedule may have taken the jobs already: then there is nothing to commit.
      if (queue.jobs.length > 0) commitAll(deps, queue.jobs.splice(0));
    };
    if (when === "tick") process.nextTick(flush);
    else setImmediate(flush);
  });
}

function commitAll(deps: Pick<Deps, "db" | "bus" | "state">, jobs: GroupCommitJob[]) {
  const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
  const events: ChangeEvent[] = [];
  try {
    deps.db.transaction((tx) => {
      for (const job of jobs) {
        try {
          const done = inSavepoint(tx, (savepoint) => job.run(savepoint));
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
