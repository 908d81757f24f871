import type { AuditEvent } from "@tower/shared";
import { isCallerStillValid, watchCaller } from "../core/access";
import type { Caller, Context, Deps } from "../core/deps";
import { replayTurn } from "../core/replay-turns";
import { SharedJson } from "../core/shared-json";
import { lastAuditId, listenToAudit, type AuditBatch } from "./audit-feed";
import { readAuditEventsAfter } from "./audit-service";

const REPLAY_PAGE = 500;
/**
 * Rows of the shared feed held for a tail that is still replaying a backlog. Past this many it drops
 * them and reads on from the database, which holds them too, so a long replay to a slow client cannot
 * pile the live feed up in memory.
 */
const MAX_QUEUED_ROWS = 10_000;

/** Consecutive audit rows for one subscriber; `last` is the id to resume after. */
export interface AuditTailBatch {
  last: number;
  rows: SharedJson<AuditEvent[]>;
}

/**
 * A live tail of the project's audit trail, resumable from the last row id seen. It joins the
 * project's shared feed first (queueing its batches), replays what was stored after `lastEventId`
 * from the database, then passes the feed's batches on; ids already sent are skipped, so every row
 * arrives exactly once, in order. Under load rows arrive in batches, one message per feed read.
 * It ends when the session or key it was opened with is revoked or expires, or the person is
 * removed from the project.
 */
export async function* streamAudit(
  deps: Deps & Partial<Pick<Context, "outbox">>,
  projectId: string,
  lastEventId: string | null | undefined,
  signal: AbortSignal | undefined,
  caller: Caller,
): AsyncGenerator<AuditTailBatch> {
  const queue: AuditBatch[] = [];
  let queuedRows = 0;
  let revoked = false; // or expired
  let wake: (() => void) | undefined;
  const stopWatching = watchCaller(
    deps,
    caller,
    () => {
      revoked = true;
      wake?.();
    },
    projectId,
  );
  const feed = listenToAudit(deps, projectId, (batch) => {
    queuedRows += batch.rows.length;
    queue.push(batch);
    // Dropped, the rows up to the feed's head are read from the database instead (see below).
    if (queuedRows > MAX_QUEUED_ROWS) queue.length = queuedRows = 0;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    const head = lastAuditId(deps.db, projectId);
    // An id past the trail's end (kept from before a backup was restored, or made up) is taken as
    // its end: the tail goes on from there, where it would wait until the ids caught up.
    let sent = lastEventId != null ? Math.min(Number(lastEventId), head) : head;
    if (!isCallerStillValid(deps, caller, projectId)) revoked = true;
    while (!signal?.aborted && !revoked) {
      // Rows up to the first queued batch (or the feed's head) that this tail has not sent come from
      // the database: the backlog when resuming, or rows the feed read before this tail joined.
      const upTo = queue[0]?.after ?? feed.head;
      if (sent < upTo) {
        const done = await replayTurn(deps, caller);
        try {
          if (signal?.aborted || revoked) break;
          const rows = readAuditEventsAfter(deps.db, projectId, sent, REPLAY_PAGE).filter((row) => row.id <= upTo);
          sent = rows.at(-1)?.id ?? upTo; // none left in between: pruned by retention
          if (rows.length > 0) yield { last: sent, rows: new SharedJson(rows) };
          // The next page once the client has read most of this one: a resume from far behind goes
          // out as fast as the client reads it, instead of piling up unsent in the server's memory.
          await deps.outbox?.drained();
        } finally {
          done();
        }
        continue;
      }
      const batch = queue.shift();
      if (!batch) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      queuedRows -= batch.rows.length;
      if (batch.last <= sent) continue;
      // A batch this tail joined part-way through is trimmed to the rows it has not sent.
      const rows = batch.after === sent ? batch.shared : new SharedJson(batch.rows.filter((row) => row.id > sent));
      sent = batch.last;
      yield { last: sent, rows };
    }
  } finally {
    feed.stop();
    stopWatching();
    signal?.removeEventListener("abort", onAbort);
  }
}
