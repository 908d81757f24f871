import type { AuditEvent } from "@tower/shared";
import type { Caller, Deps } from "../context";
import { SharedJson } from "../shared-json";
import { isCallerStillValid, watchCaller } from "./access";
import { lastAuditId, listenToAudit, type AuditBatch } from "./audit-feed";
import { readAuditEventsAfter } from "./audit-service";

const REPLAY_PAGE = 500;

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
 * It ends when the session or key it was opened with is revoked, or the key expires.
 */
export async function* streamAudit(
  deps: Deps,
  projectId: string,
  lastEventId: string | null | undefined,
  signal: AbortSignal | undefined,
  caller: Caller,
): AsyncGenerator<AuditTailBatch> {
  const queue: AuditBatch[] = [];
  let revoked = false; // or expired
  let wake: (() => void) | undefined;
  const stopWatching = watchCaller(deps, caller, () => {
    revoked = true;
    wake?.();
  });
  const feed = listenToAudit(deps, projectId, (batch) => {
    queue.push(batch);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    let sent = lastEventId != null ? Number(lastEventId) : lastAuditId(deps.db, projectId);
    if (!isCallerStillValid(deps, caller)) revoked = true;
    while (!signal?.aborted && !revoked) {
      // Rows up to the first queued batch (or the feed's head) that this tail has not sent come from
      // the database: the backlog when resuming, or rows the feed read before this tail joined.
      const upTo = queue[0]?.after ?? feed.head;
      if (sent < upTo) {
        const rows = readAuditEventsAfter(deps.db, projectId, sent, REPLAY_PAGE).filter((row) => row.id <= upTo);
        sent = rows.at(-1)?.id ?? upTo; // none left in between: pruned by retention
        if (rows.length > 0) yield { last: sent, rows: new SharedJson(rows) };
        continue;
      }
      const batch = queue.shift();
      if (!batch) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
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
