import type { AppRouter } from "@tower/api";
import {
  describeInputProblem,
  findInputProblem,
  INGEST_MAX_ITEMS,
  type IngestResult,
  type ReportItem,
} from "@tower/shared";
import { TRPCClientError, type TRPCClient } from "@trpc/client";
import { HttpStatusError } from "./http-status";

export interface ReporterOptions {
  /** Items per request; a full batch is sent at once. Default 500, at most 1,000. */
  maxBatch?: number;
  /** A partial batch is sent after this long. Default 1,000 ms. */
  flushIntervalMs?: number;
  /** Items held while Tower is unreachable; when full, the oldest are dropped (and counted). Default 10,000. */
  maxBuffer?: number;
  /** Longest wait between retries of a failed batch. Default 30,000 ms. */
  maxRetryDelayMs?: number;
}

export interface ReporterHooks {
  /** The answer for each delivered batch (per item: stored, duplicate, rejected). */
  onResult?: (result: IngestResult, batch: ReportItem[]) => void;
  /** Items dropped (buffer full, or refused for good); `total` counts every drop so far. */
  onDrop?: (count: number, total: number, reason: string) => void;
  onError?: (error: Error) => void;
}

/** Answers worth retrying: Tower is down, overloaded or restarting (or a proxy in front says so). */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * A batch that keeps failing with 500 may hold a report the server cannot take: after this many
 * tries in a row it is split in halves; a lone report that still fails is set aside behind the
 * rest, and given up only if it fails again after others were delivered (a server that fails
 * everything is having an outage, and nothing is given up). So one report never holds up the rest.
 */
const SERVER_ERRORS_BEFORE_SPLIT = 3;

/** The HTTP status of a failed call, or undefined when no answer came (network down). */
function statusOf(error: unknown): number | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  if (error.cause instanceof HttpStatusError) return error.cause.status;
  return (error.data as { httpStatus?: number } | undefined)?.httpStatus;
}

function codeOf(error: unknown): string | undefined {
  return error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
}

/**
 * Batches reports, retries failed batches with backoff (ids make retries safe: the server stores
 * each id once), and holds a bounded buffer through an outage. The batch being sent is kept apart
 * from the buffer, so only reports that never left are ever dropped.
 */
export class Reporter {
  #queue: ReportItem[] = [];
  #inFlight: ReportItem[] = [];
  #sending: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retryDelay = 0;
  /** 500s in a row for the batch at the front of the queue. */
  #serverErrors = 0;
  /** Batches delivered so far. */
  #delivered = 0;
  /** Reports set aside after failing alone with 500, with `#delivered` at that time. */
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
  }

  /** Items waiting to be delivered, including a batch being sent. */
  get pending(): number {
    return this.#queue.length + this.#inFlight.length;
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
    const over = this.#queue.length - this.#maxBuffer;
    if (over > 0) {
      for (const dropped of this.#queue.splice(0, over)) this.#suspects.delete(dropped);
      this.#drop(over, "buffer full");
    }
    if (this.#queue.length >= this.#batchSize && this.#retryDelay === 0) void this.#pump();
    else this.#schedule(this.#retryDelay || this.#interval);
  }

  /** Sends everything buffered; resolves when the buffer is empty or delivery failed again. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.pending > 0) {
      const before = this.pending;
      await this.#pump();
      if (this.#retryDelay > 0 && this.pending >= before) return; // Tower is unreachable
    }
  }

  /** Narrows down a batch that keeps failing with 500 (see SERVER_ERRORS_BEFORE_SPLIT). */
  #isolate(batch: ReportItem[], error: Error) {
    if (batch.length > 1) {
      this.#batchSize = Math.max(1, Math.floor(batch.length / 2));
      this.#queue.unshift(...batch);
      return;
    }
    const item = batch[0]!;
    const setAsideAt = this.#suspects.get(item);
    if (setAsideAt !== undefined && this.#delivered > setAsideAt) {
      this.#suspects.delete(item);
      return this.#giveUp(batch, error);
    }
    this.#suspects.set(item, this.#delivered);
    this.#queue.push(item);
    this.#retryDelay = Math.min(Math.max(this.#retryDelay * 2, 250), this.#maxRetryDelay);
    this.hooks.onError?.(error);
  }

  /** Reports the server will never take: said through onError and counted as dropped. */
  #giveUp(batch: ReportItem[], error: Error) {
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
      void this.#pump();
    }, delay);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** One batch at a time from the front of the queue; a failed batch goes back to the front. */
  #pump(): Promise<void> {
    this.#sending ??= this.#sendFront().finally(() => {
      this.#sending = null;
      if (this.#queue.length > 0) {
        this.#schedule(this.#retryDelay || (this.#queue.length >= this.#batchSize ? 0 : this.#interval));
      }
    });
    return this.#sending;
  }

  async #sendFront(): Promise<void> {
    const batch = this.#queue.splice(0, this.#batchSize);
    if (batch.length === 0) return;
    this.#inFlight = batch;
    try {
      const result = await this.api.ingest.report.mutate({ items: batch });
      this.#retryDelay = 0;
      this.#serverErrors = 0;
      this.#delivered++;
      if (this.#suspects.size > 0) for (const item of batch) this.#suspects.delete(item);
      this.#batchSize = Math.min(this.#batchSize * 2, this.#maxBatch);
      this.hooks.onResult?.(result, batch);
    } catch (error) {
      const status = statusOf(error);
      if (codeOf(error) === "PAYLOAD_TOO_LARGE" && batch.length > 1) {
        // Too big for one request: send it in halves.
        this.#batchSize = Math.max(1, Math.floor(batch.length / 2));
        this.#queue.unshift(...batch);
      } else if (status !== undefined && !RETRYABLE_STATUS.has(status)) {
        // Refused as it is (invalid, unauthorised, …): sending it again would be refused again.
        this.#giveUp(batch, error as Error);
      } else if (status === 500 && ++this.#serverErrors >= SERVER_ERRORS_BEFORE_SPLIT) {
        this.#serverErrors = 0;
        this.#isolate(batch, error as Error);
      } else {
        this.#queue.unshift(...batch);
        this.#retryDelay = Math.min(Math.max(this.#retryDelay * 2, 250), this.#maxRetryDelay);
        this.hooks.onError?.(error as Error);
      }
    } finally {
      this.#inFlight = [];
    }
  }
}
