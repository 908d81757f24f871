import { inSavepoint, type TowerDb } from "@tower/db";
import type { ChangeEvent } from "@tower/shared";
import type { ConnectionState } from "../core/connection-state";
import type { IngestBatch, IngestOutcome, IngestWriter } from "../core/ports";
import { checkRawReports } from "./check-reports";
import { ingestTx } from "./store-batch";

/**
 * Reports per group commit: enough to amortise the commit, few enough that one commit holds the
 * writer (its thread, or the event loop when in process) for milliseconds, not tens of them. A single larger report (up to 1,000 items) is
 * still one commit: splitting it would pay a second fsync for every such report.
 */
const MAX_COMMIT_ITEMS = 500;

interface Pending extends IngestBatch {
  resolve: (outcome: IngestOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: batches that arrive while one commit is being prepared are written in the same
 * transaction (each in its own savepoint, so one failing batch never takes the others down), and
 * every caller is answered only after that commit returned.
 */
class GroupCommitter implements IngestWriter {
  #queue: Pending[] = [];
  #scheduled = false;
  #idle: (() => void) | undefined;

  constructor(
    private readonly db: TowerDb,
    private readonly state: ConnectionState,
  ) {}

  submit(batch: IngestBatch): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      let items = batch.items;
      try {
        // A raw body is parsed and checked here, on the writer's thread (see raw-reports.ts).
        if (batch.raw) items = [...items, ...checkRawReports(batch.raw)];
      } catch (error) {
        return reject(error);
      }
      this.#queue.push({ ...batch, items, raw: undefined, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  close(): Promise<void> {
    if (!this.#scheduled) return Promise.resolve();
    return new Promise((resolve) => (this.#idle = resolve));
  }

  #flush() {
    // One commit takes whole batches up to MAX_COMMIT_ITEMS; the rest waits for the next turn of
    // the event loop.
    let items = 0;
    let take = 0;
    const size = (pending: Pending) => pending.items.length + (pending.rows?.length ?? 0);
    while (take < this.#queue.length && (take === 0 || items + size(this.#queue[take]!) <= MAX_COMMIT_ITEMS)) {
      items += size(this.#queue[take]!);
      take++;
    }
    const batch = this.#queue.splice(0, take);
    if (this.#queue.length > 0) setImmediate(() => this.#flush());
    else this.#scheduled = false;
    const outcomes: ({ ok: true; outcome: IngestOutcome } | { ok: false; error: unknown })[] = [];
    try {
      this.db.transaction((tx) => {
        for (const pending of batch) {
          const events: ChangeEvent[] = [];
          try {
            const stored = inSavepoint(tx, (sp) => ingestTx(this.state, this.db, sp, pending, events));
            outcomes.push({ ok: true, outcome: { ...stored, events } });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
      batch.forEach((pending, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) pending.resolve(outcome.outcome);
        else pending.reject(outcome.error);
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    } finally {
      if (!this.#scheduled) this.#idle?.();
    }
  }
}

/**
 * The in-process writer, on the caller's connection and thread. `state` is that connection's (the
 * caller's `deps.state`, or a new one for a connection of its own): see connection-state.ts.
 */
export function createIngestWriter(db: TowerDb, state: ConnectionState): IngestWriter {
  return new GroupCommitter(db, state);
}
