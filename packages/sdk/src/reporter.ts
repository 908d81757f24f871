// Over 300 lines on purpose: one queue whose batching, concurrency, backoff, 4xx give-up and 500
// isolation share state and must be read together to see that nothing is lost or reordered.
import type { ClientRouter as AppRouter } from "@tower/api/client";
import {
  describeInputProblem,
  findInputProblem,
  INGEST_MAX_ITEMS,
  type IngestResult,
  type ReportItem,
} from "@tower/shared";
import { TRPCClientError, type TRPCClient } from "@trpc/client";
import { RETRYABLE_STATUS, statusOf } from "./http-status";

export interface ReporterOptions {
  /** Items per request; a full batch is sent at once. Default 500, at most 1,000. */
  maxBatch?: number;
  /** A partial batch is sent after this long. Default 1,000 ms. */
  flushIntervalMs?: number;
  /** Items held while Tower is unreachable; when full, the oldest are dropped (and counted). Default 10,000. */
  maxBuffer?: number;
  /** Longest wait between retries of a failed batch. Default 30,000 ms. */
  maxRetryDelayMs?: number;
  /**
   * Batches on their way at once, each its own request: while one waits for its commit the next
   * is already sent. Default 2, at least 1. Tower may then commit them in another order than they
   * were made; every report carries its agent's time and its place in its session, so the session
   * can still be shown in the agent's order.
   */
  maxInFlight?: number;
}

export interface ReporterHooks {
  /** The answer for each delivered batch (per item: stored, duplicate, rejected). */
  onResult?: (result: IngestResult, batch: ReportItem[]) => void;
  /** Items dropped (buffer full, or refused for good); `total` counts every drop so far. */
  onDrop?: (count: number, total: number, reason: string) => void;
  onError?: (error: Error) => void;
}

/**
 * A batch that keeps failing with 500 may hold a report the server cannot take: after this many
 * tries in a row it is split in halves, and the halves are tried on their own. A lone report that
 * still fails is given up if Tower delivered another batch, sent after that report first failed,
 * meanwhile; else it is set aside behind the rest and tried again (a server that fails everything
 * is having an outage, and nothing is given up). So one report never holds up the rest.
 */
const SERVER_ERRORS_BEFORE_SPLIT = 3;

function codeOf(error: unknown): string | undefined {
  return error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
}

/** Reports that left together, and what their failures so far tell. */
interface Batch {
  items: ReportItem[];
  /** Its first report's place in the order reports were queued: a failed batch goes back there. */
  order: number;
  /** 500s in a row for these reports (see SERVER_ERRORS_BEFORE_SPLIT). */
  serverErrors: number;
  /** Batches started before these reports first failed with 500 (Infinity: they have not). */
  failingSince: number;
}

/**
 * Batches reports, sends up to `maxInFlight` batches at once, retries failed batches with backoff
 * (ids make retries safe: the server stores each id once), and holds a bounded buffer through an
 * outage. Batches being sent are kept apart from the buffer, so only reports that are not on their
 * way are ever dropped.
 *
 * Order: reports leave in the order they were queued. A batch that fails goes back to its place,
 * ahead of everything queued after it, even when the batch sent beside it failed too; so what is
 * retried first, and dropped first when the buffer is full, is always the oldest.
 */
export class Reporter {
  /** Reports not sent yet (and reports set aside), oldest first. */
  #queue: ReportItem[] = [];
  /** Reports taken from the front of `#queue` so far: the order of its first report. */
  #taken = 0;
  /** Failed batches waiting to be sent again, oldest first; all older than `#queue`. */
  #retry: Batch[] = [];
  #retryItems = 0;
  /** Batches being sent, and the reports in them. */
  #sending = new Set<Promise<void>>();
  #inFlight = 0;
  readonly #maxInFlight: number;
  /** Batches started so far; each batch's number is its start. */
  #started = 0;
  /** The latest-started batch delivered so far (-1: none yet). */
  #lastDelivered = -1;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retryDelay = 0;
  /** `#started` when the retry delay last grew: batches started before then failed in that round. */
  #delayRaisedAt = 0;
  /** Calls of `flush()` under way: while any is, partial batches leave at once. */
  #flushing = 0;
  /** Reports set aside after failing alone with 500, with their batch's `failingSince`. */
  #suspects = new Map<ReportItem, number>();
  /** Shrinks when a batch is too large for one request, grows back after a success. */
  #batchSize: number;
  #dropped = 0;
  readonly #maxBatch: number;
  readonly #interval: number;
  readonly #maxBuffer: number;
  readonly #maxRetryDelay: number;

  constructor(
    private readonly api: TRPCClient<AppRouter>,
    options: ReporterOptions = {},
    private readonly hooks: ReporterHooks = {},
  ) {
    this.#maxBatch = Math.min(options.maxBatch ?? 500, INGEST_MAX_ITEMS);
    this.#batchSize = this.#maxBatch;
    this.#interval = options.flushIntervalMs ?? 1_000;
    this.#maxBuffer = Math.max(options.maxBuffer ?? 10_000, 1);
    this.#maxRetryDelay = options.maxRetryDelayMs ?? 30_000;
    this.#maxInFlight = Math.max(1, Math.floor(options.maxInFlight ?? 2)) || 1;
  }

  /** Items waiting to be delivered, including batches being sent. */
  get pending(): number {
    return this.#queue.length + this.#retryItems + this.#inFlight;
  }

  /** Items dropped so far (buffer full, or refused for good). */
  get dropped(): number {
    return this.#dropped;
  }

  add(item: ReportItem): void {
    // The server's own first check: a report it would refuse never enters the queue.
    const problem = findInputProblem(item);
    if (problem) return this.#giveUp([item], new Error(`Report not sent: ${describeInputProblem(problem)}`));
    this.#queue.push(item);
    const over = this.#queue.length + this.#retryItems - this.#maxBuffer;
    if (over > 0) this.#dropOldest(over);
    if (this.#retryDelay === 0 && this.#queue.length >= this.#batchSize) this.#pump(false);
    else this.#schedule(this.#retryDelay || this.#interval);
  }

  /**
   * Sends everything buffered; resolves when the buffer is empty (every batch on its way answered)
   * or delivery failed again.
   */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flushing++;
    try {
      while (this.pending > 0) {
        const before = this.pending;
        this.#pump(true);
        // Batches started meanwhile (as others finish) are waited for too.
        while (this.#sending.size > 0) await Promise.all(this.#sending);
        if (this.#retryDelay > 0 && this.pending >= before) return; // Tower is unreachable
      }
    } finally {
      this.#flushing--;
    }
  }

  /**
   * Starts batches while a slot is free and one is ready: a failed batch, a full batch, or with
   * `all` (the interval passed, or a flush) whatever is queued. While retries are backing off, one
   * batch at a time probes whether Tower is back.
   */
  #pump(all: boolean) {
    const slots = this.#retryDelay > 0 ? 1 : this.#maxInFlight;
    while (this.#sending.size < slots) {
      const batch = this.#take(all);
      if (!batch) return;
      this.#start(batch);
    }
  }

  #take(all: boolean): Batch | undefined {
    const retry = this.#retry.shift();
    if (retry) {
      this.#retryItems -= retry.items.length;
      return retry;
    }
    const queued = this.#queue.length;
    if (queued === 0 || (!all && queued < this.#batchSize)) return undefined;
    const order = this.#taken;
    let items: ReportItem[];
    if (queued <= this.#batchSize) {
      items = this.#queue;
      this.#queue = [];
    } else {
      items = this.#queue.splice(0, this.#batchSize);
    }
    this.#taken += items.length;
    return { items, order, serverErrors: 0, failingSince: Infinity };
  }

  #start(batch: Batch) {
    this.#inFlight += batch.items.length;
    const sending: Promise<void> = this.#send(batch, this.#started++).finally(() => {
      this.#sending.delete(sending);
      this.#next();
    });
    this.#sending.add(sending);
  }

  async #send(batch: Batch, started: number): Promise<void> {
    let result: IngestResult;
    try {
      result = await this.api.ingest.report.mutate({ items: batch.items });
    } catch (error) {
      this.#inFlight -= batch.items.length;
      return this.#failed(batch, started, error as Error);
    }
    this.#inFlight -= batch.items.length;
    if (this.#retryDelay > 0) {
      // Tower is back: what waited for the backoff timer goes now.
      this.#retryDelay = 0;
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#lastDelivered = Math.max(this.#lastDelivered, started);
    if (this.#suspects.size > 0) for (const item of batch.items) this.#suspects.delete(item);
    this.#batchSize = Math.min(this.#batchSize * 2, this.#maxBatch);
    try {
      this.hooks.onResult?.(result, batch.items);
    } catch (error) {
      this.hooks.onError?.(error as Error);
    }
  }

  #failed(batch: Batch, started: number, error: Error) {
    const status = statusOf(error);
    if (status === undefined && this.#setAsideUnsendable(batch)) return;
    if (codeOf(error) === "PAYLOAD_TOO_LARGE" && batch.items.length > 1) {
      // Too big for one request: send it in halves, and later batches smaller.
      this.#batchSize = Math.max(1, Math.floor(batch.items.length / 2));
      this.#requeueHalves(batch);
    } else if (status !== undefined && !RETRYABLE_STATUS.has(status)) {
      // Refused as it is (invalid, unauthorised, …): sending it again would be refused again.
      this.#giveUp(batch.items, error);
    } else {
      if (status === 500 && batch.failingSince === Infinity) batch.failingSince = this.#started;
      if (status === 500 && ++batch.serverErrors >= SERVER_ERRORS_BEFORE_SPLIT)
        return this.#isolate(batch, started, error);
      this.#requeue(batch);
      this.#backOff(started);
      this.hooks.onError?.(error);
    }
  }

  /**
   * A call that failed before any answer came may have failed here, not on the way: a report JSON
   * cannot carry (a BigInt, a `toJSON` that throws) fails every call it is in. Such reports are
   * given up, each alone, and the rest of the batch goes again at once. (Checked only after a
   * failure: reports are not serialized twice on the way that works.)
   */
  #setAsideUnsendable(batch: Batch): boolean {
    const problems = new Map<ReportItem, string>();
    for (const item of batch.items) {
      try {
        JSON.stringify(item);
      } catch (error) {
        problems.set(item, error instanceof Error ? error.message : String(error));
      }
    }
    if (problems.size === 0) return false;
    for (const [item, problem] of problems) {
      this.#giveUp([item], new Error(`Report not sent: it cannot be sent as JSON (${problem})`));
    }
    const rest = batch.items.filter((item) => !problems.has(item));
    if (rest.length > 0) this.#requeue({ ...batch, items: rest });
    return true;
  }

  /** Narrows down a batch that keeps failing with 500 (see SERVER_ERRORS_BEFORE_SPLIT). */
  #isolate(batch: Batch, started: number, error: Error) {
    if (batch.items.length > 1) return this.#requeueHalves(batch);
    const item = batch.items[0]!;
    const since = Math.min(batch.failingSince, this.#suspects.get(item) ?? Infinity);
    if (this.#lastDelivered >= since) {
      // A batch sent after this report first failed was delivered: Tower is up, and cannot take it.
      this.#suspects.delete(item);
      return this.#giveUp(batch.items, error);
    }
    this.#suspects.set(item, since);
    this.#queue.push(item);
    this.#backOff(started);
    this.hooks.onError?.(error);
  }

  /** Puts a failed batch back in its place: after older failed batches, before everything newer. */
  #requeue(batch: Batch) {
    let at = this.#retry.length;
    while (at > 0 && this.#retry[at - 1]!.order > batch.order) at--;
    this.#retry.splice(at, 0, batch);
    this.#retryItems += batch.items.length;
  }

  #requeueHalves({ items, order, failingSince }: Batch) {
    const half = Math.floor(items.length / 2);
    this.#requeue({ items: items.slice(0, half), order, serverErrors: 0, failingSince });
    this.#requeue({ items: items.slice(half), order: order + half, serverErrors: 0, failingSince });
  }

  /**
   * Waits longer before the next retry. Batches that were on their way together fail together:
   * the delay grows once for them, not once for each.
   */
  #backOff(started: number) {
    if (started < this.#delayRaisedAt) return;
    this.#retryDelay = Math.min(Math.max(this.#retryDelay * 2, 250), this.#maxRetryDelay);
    this.#delayRaisedAt = this.#started;
  }

  /** After a batch is answered: the next ones now, or when the retry delay or interval is over. */
  #next() {
    if (this.#retryDelay > 0) {
      if (this.#queue.length + this.#retryItems > 0) this.#schedule(this.#retryDelay);
      return;
    }
    this.#pump(this.#flushing > 0);
    if (this.#queue.length + this.#retryItems > 0) this.#schedule(this.#interval);
  }

  /**
   * Drops every report still waiting (Tower could not take them before the client shut down),
   * counted in `dropped` and said through `onDrop` with `reason`: none is lost silently. Returns
   * how many. Batches on their way are left to their answer.
   */
  abandon(reason: string): number {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const count = this.#queue.length + this.#retryItems;
    if (count > 0) this.#dropOldest(count, reason);
    return count;
  }

  /** Drops the oldest reports that are not on their way: failed batches first, then the queue. */
  #dropOldest(count: number, reason = "buffer full") {
    let left = count;
    while (left > 0 && this.#retry.length > 0) {
      const batch = this.#retry[0]!;
      const gone = batch.items.splice(0, left);
      batch.order += gone.length;
      this.#retryItems -= gone.length;
      left -= gone.length;
      this.#forget(gone);
      if (batch.items.length === 0) this.#retry.shift();
    }
    if (left > 0) {
      const gone = this.#queue.splice(0, left);
      this.#taken += gone.length;
      this.#forget(gone);
    }
    this.#drop(count, reason);
  }

  #forget(items: ReportItem[]) {
    if (this.#suspects.size > 0) for (const item of items) this.#suspects.delete(item);
  }

  /** Reports the server will never take: said through onError and counted as dropped. */
  #giveUp(batch: ReportItem[], error: Error) {
    this.#forget(batch);
    this.hooks.onError?.(error);
    this.#drop(batch.length, error.message);
  }

  #drop(count: number, reason: string) {
    this.#dropped += count;
    this.hooks.onDrop?.(count, this.#dropped, reason);
  }

  #schedule(delay: number) {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump(true);
    }, delay);
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
