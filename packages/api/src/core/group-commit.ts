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
  return new Promise<T>((resolve, reject) => {
    deps.state.groupCommit.jobs.push({ run: job, resolve: resolve as (value: unknown) => void, reject });
    scheduleFlush(deps, when);
  });
}

function scheduleFlush(deps: Pick<Deps, "db" | "bus" | "state">, when: "turn" | "tick") {
  const queue = deps.state.groupCommit;
  if (queue.scheduled[when]) return;
  queue.scheduled[when] = true;
  const flush = () => {
    queue.scheduled[when] = false;
    // The other schedule may have taken the jobs already: then there is nothing to commit.
    if (queue.jobs.length > 0) commitSome(deps);
  };
  if (when === "tick") process.nextTick(flush);
  else setImmediate(flush);
}

function commitSome(deps: Pick<Deps, "db" | "bus" | "state">) {
  const queue = deps.state.groupCommit;
  const jobs = queue.jobs.splice(0);
  const began = performance.now();
  const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
  const events: ChangeEvent[] = [];
  let taken = jobs.length;
  try {
    deps.db.transaction((tx) => {
      for (let i = 0; i < jobs.length; i++) {
        if (i > 0 && performance.now() - began > queue.budgetMs) {
          taken = i;
          break;
        }
        try {
          const done = inSavepoint(tx, (savepoint) => jobs[i]!.run(savepoint));
          events.push(...done.events);
          outcomes.push({ ok: true, value: done.value });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
  } catch (error) {
    // The commit itself failed: nothing of it stands. Jobs it never ran wait for the next one.
    for (const job of jobs.slice(0, taken)) job.reject(error);
    requeue(deps, jobs.slice(taken));
    return;
  }
  requeue(deps, jobs.slice(taken));
  publishChanges(deps, events);
  outcomes.forEach((outcome, i) => {
    if (outcome.ok) jobs[i]!.resolve(outcome.value);
    else jobs[i]!.reject(outcome.error);
  });
}

/** Jobs left for the next turn, ahead of those queued since. */
function requeue(deps: Pick<Deps, "db" | "bus" | "state">, left: GroupCommitJob[]) {
  if (left.length === 0) return;
  deps.state.groupCommit.jobs.unshift(...left);
  scheduleFlush(deps, "turn");
}
