import type { AppRouter } from "@tower/api";
import { INGEST_MAX_ITEMS, type IngestResult, type ReportItem } from "@tower/shared";
import { TRPCClientError, type TRPCClient } from "@trpc/client";

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

/** Worth retrying: Tower is down, overloaded or restarting. Any other 4xx will never succeed. */
const RETRYABLE = new Set([
  "TIMEOUT",
  "TOO_MANY_REQUESTS",
  "INTERNAL_SERVER_ERROR",
  "BAD_GATEWAY",
  "SERVICE_UNAVAILABLE",
]);

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
    this.#queue.push(item);
    const over = this.#queue.length - this.#maxBuffer;
    if (over > 0) {
      this.#queue.splice(0, over);
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
      this.#batchSize = Math.min(this.#batchSize * 2, this.#maxBatch);
      this.hooks.onResult?.(result, batch);
    } catch (error) {
      const code = codeOf(error);
      if (code === "PAYLOAD_TOO_LARGE" && batch.length > 1) {
        // Too big for one request: send it in halves.
        this.#batchSize = Math.max(1, Math.floor(batch.length / 2));
        this.#queue.unshift(...batch);
      } else if (code && !RETRYABLE.has(code)) {
        this.#drop(batch.length, (error as Error).message);
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
