import type { ChangeEntity, ChangeEvent, ChangeOf } from "@tower/shared";
import type { Caller, Deps } from "../context";
import { isCallerStillValid, watchCaller } from "./access";
import { latestChangeId, readChangesAfter } from "./change-feed";

const REPLAY_PAGE = 500;

/**
 * Live changes of one project and entity, resumable: subscribe to the bus first (buffering), then
 * replay what was committed after `lastEventId`, then stream live; ids already sent are skipped,
 * so the client gets every change exactly once, in order. The stream ends when the session or key
 * it was opened with is revoked, or the key expires.
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
  deps: Deps,
  { projectId, entity, entityId, lastEventId, signal, caller }: StreamOptions<E>,
): AsyncGenerator<ChangeOf<E>> {
  const pending: ChangeEvent[] = [];
  let wake: (() => void) | undefined;
  let revoked = false; // or expired
  const stopWatching = watchCaller(deps, caller, () => {
    revoked = true;
    wake?.();
  });
  const unsubscribe = deps.bus.subscribe(projectId, (event) => {
    if (event.entity !== entity || (entityId !== undefined && event.data.id !== entityId)) return;
    pending.push(event);
    wake?.();
  });
  // Checked after listening for revocations, so a revocation cannot slip in between.
  if (!isCallerStillValid(deps, caller)) revoked = true;
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    let sent = Number(lastEventId ?? latestChangeId(deps.db, projectId));
    if (lastEventId && !revoked) {
      for (;;) {
        const page = readChangesAfter(deps.db, projectId, entity, String(sent), REPLAY_PAGE, entityId);
        for (const event of page) {
          if (revoked) return;
          sent = Number(event.id);
          yield event as ChangeOf<E>;
        }
        if (page.length < REPLAY_PAGE) break;
      }
    }
    while (!signal?.aborted && !revoked) {
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
