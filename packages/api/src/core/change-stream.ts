import type { ChangeEntity, ChangeEvent, ChangeOf } from "@tower/shared";
import { isCallerStillValid, watchCaller } from "./access";
import { latestChangeId, readChangesAfter } from "./change-feed";
import type { Caller, Context, Deps } from "./deps";
import { replayTurn } from "./replay-turns";

const REPLAY_PAGE = 500;
/**
 * Live changes held for a stream that is still replaying a backlog. Past this many it drops them
 * and reads on from the database, which holds every change in order, so a long replay to a slow
 * client cannot pile live changes up in memory.
 */
const MAX_PENDING = 2_000;

/**
 * Live changes of one project and entity, resumable: subscribe to the bus first (buffering), then
 * replay what was committed after `lastEventId`, then stream live; ids already sent are skipped,
 * so the client gets every change exactly once, in order. The stream ends when the session or key
 * it was opened with is revoked or expires, or the person is removed from the project.
 */
export interface StreamOptions<E extends ChangeEntity> {
  projectId: string;
  entity: E;
  /** Only changes of this one entity (e.g. the agent an SDK runs as). */
  entityId?: string;
  lastEventId: string | null | undefined;
  signal: AbortSignal | undefined;
  caller: Caller;
}

export async function* streamChanges<E extends ChangeEntity>(
  deps: Deps & Partial<Pick<Context, "outbox">>,
  { projectId, entity, entityId, lastEventId, signal, caller }: StreamOptions<E>,
): AsyncGenerator<ChangeOf<E>> {
  const pending: ChangeEvent[] = [];
  let wake: (() => void) | undefined;
  let revoked = false; // or expired
  let overflowed = false; // live changes were dropped: they are read from the database instead
  const stopWatching = watchCaller(
    deps,
    caller,
    () => {
      revoked = true;
      wake?.();
    },
    projectId,
  );
  const unsubscribe = deps.bus.subscribe(projectId, (event) => {
    if (event.entity !== entity || (entityId !== undefined && event.data.id !== entityId)) return;
    if (overflowed) return;
    if (pending.length < MAX_PENDING) pending.push(event);
    else {
      overflowed = true;
      pending.length = 0;
    }
    wake?.();
  });
  // Checked after listening for revocations, so a revocation cannot slip in between.
  if (!isCallerStillValid(deps, caller, projectId)) revoked = true;
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    const latest = Number(latestChangeId(deps.state, deps.db, projectId));
    // An id past the feed's end (kept from before a backup was restored, or made up) is taken as
    // its end: the stream goes on from there, where it would wait until the ids caught up.
    let sent = lastEventId ? Math.min(Number(lastEventId), latest) : latest;
    // Whether changes after `sent` may be in the database only (the backlog of a resume).
    let behind = sent < latest;
    while (!signal?.aborted && !revoked) {
      if (behind || overflowed) {
        overflowed = false; // from this read on, live changes are held again
        const done = await replayTurn(deps, caller);
        try {
          const page = readChangesAfter(deps.db, projectId, entity, String(sent), REPLAY_PAGE, entityId);
          for (const event of page) {
            if (revoked) return;
            sent = Number(event.id);
            yield event as ChangeOf<E>;
          }
          behind = page.length === REPLAY_PAGE;
          // The next page once the client has read most of this one: a resume from far behind goes
          // out as fast as the client reads it, instead of piling up unsent in the server's memory.
          if (behind) await deps.outbox?.drained();
        } finally {
          done();
        }
        continue;
      }
      const event = pending.shift();
      if (!event) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (Number(event.id) <= sent) continue;
      sent = Number(event.id);
      yield event as ChangeOf<E>;
    }
  } finally {
    unsubscribe();
    stopWatching();
    signal?.removeEventListener("abort", onAbort);
  }
}
