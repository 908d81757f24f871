import type { TowerAuditRow } from "../core/ports";
import { publishChanges, prepareToPublish } from "../core/change-feed";
import { wakeAuditTails } from "../core/audit-chain";
import type { Deps } from "../core/deps";

/**
 * How long decisions gather before they go to the writer together. Per turn of the event loop, at
 * 1,000 checks a second nearly every check was a hand-over of its own (a message to the writer
 * thread, a savepoint, an answer back); a few milliseconds gather tens of them into one.
 */
export const DECISION_FLUSH_MS = 5;

/**
 * Every decision is a row of the audit chain, but a check is answered without waiting for it: the
 * rows of a few milliseconds go to the ingest writer together and are committed with its next
 * group commit. Waiting for that commit would put a check behind a full ingest batch; the
 * decisions that create state (an approval) are committed before they are answered. See
 * docs/decisions/policy-decision-log.md.
 */
export function logDecision(deps: Deps, projectId: string, row: TowerAuditRow): void {
  const queue = deps.state.decisionLog;
  const rows = queue.get(projectId);
  if (rows) return void rows.push(row);
  queue.set(projectId, [row]);
  if (queue.size === 1) setTimeout(() => void flushDecisions(deps), DECISION_FLUSH_MS);
}

/**
 * Hands every queued decision to the writer; resolves once they, and those handed over before
 * (by the timer) and not committed yet, are committed (or failed and logged).
 */
export function flushDecisions(deps: Deps): Promise<void> {
  const { decisionLog: queue, decisionFlushes: inFlight } = deps.state;
  const batches = [...queue];
  queue.clear();
  if (batches.length === 0) return Promise.all(inFlight).then(() => undefined);
  prepareToPublish(deps);
  const flush = Promise.all(
    batches.map(([projectId, rows]) =>
      deps.ingestWriter.submit({ projectId, items: [], rows, now: deps.clock.now() }).then(
        ({ events, auditAppended }) => {
          publishChanges(deps, events);
          if (auditAppended) wakeAuditTails(deps, projectId);
        },
        (error: unknown) =>
          deps.logger.error({ err: error, projectId, rows: rows.length }, "policy decisions not stored"),
      ),
    ),
  ).then(() => void inFlight.delete(flush));
  inFlight.add(flush);
  return Promise.all(inFlight).then(() => undefined);
}
