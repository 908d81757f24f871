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
  /** Items dropped because the buffer was full or the key was refused; `total` counts every drop so far. */
  onDrop?: (count: number, total: number, reason: string) => void;
  onError?: (error: Error) => void;
}

const PERMANENT = new Set(["UNAUTHORIZED", "FORBIDDEN"]);

/**
 * Batches reports, retries failed batches with backoff (ids make retries safe: the server stores
 * each id once), and holds a bounded buffer through an outage.
 */
export class Reporter {
  #queue: ReportItem[] = [];
  #sending: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retryDelay = 0;
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
    this.#interval = options.flushIntervalMs ?? 1_000;
    this.#maxBuffer = Math.max(options.maxBuffer ?? 10_000, 1);
    this.#maxRetryDelay = options.maxRetryDelayMs ?? 30_000;
  }

  /** Items waiting to be delivered. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Items dropped so far (buffer full, or refused key). */
  get dropped(): number {
    return this.#dropped;
  }

  add(item: ReportItem): void {
    this.#queue.push(item);
    if (this.#queue.length > this.#maxBuffer) this.#drop(this.#queue.length - this.#maxBuffer, "buffer full", true);
    if (this.#queue.length >= this.#maxBatch && this.#retryDelay === 0) void this.#pump();
    else this.#schedule(this.#retryDelay || this.#interval);
  }

  /** Sends everything buffered; resolves when the buffer is empty or delivery failed again. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length > 0) {
      const before = this.#queue.length;
      await this.#pump();
      if (this.#retryDelay > 0 && this.#queue.length >= before) return; // Tower is unreachable
    }
  }

  #drop(count: number, reason: string, oldest: boolean) {
    if (oldest) this.#queue.splice(0, count);
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

  /** Sends one batch at a time from the front of the queue; a failed batch stays at the front. */
  #pump(): Promise<void> {
    this.#sending ??= this.#sendFront().finally(() => {
      this.#sending = null;
      if (this.#queue.length > 0)
        this.#schedule(this.#retryDelay || (this.#queue.length >= this.#maxBatch ? 0 : this.#interval));
    });
    return this.#sending;
  }

  async #sendFront(): Promise<void> {
    const batch = this.#queue.slice(0, this.#maxBatch);
    if (batch.length === 0) return;
    try {
      const result = await this.api.ingest.report.mutate({ items: batch });
      this.#removeDelivered(batch);
      this.#retryDelay = 0;
      this.hooks.onResult?.(result, batch);
    } catch (error) {
      const code = error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
      if (code && PERMANENT.has(code)) {
        this.#removeDelivered(batch);
        this.#drop(batch.length, (error as Error).message, false);
        return;
      }
      this.#retryDelay = Math.min(Math.max(this.#retryDelay * 2, 250), this.#maxRetryDelay);
      this.hooks.onError?.(error as Error);
    }
  }

  /** Removes the sent items; items dropped from the front meanwhile are already gone. */
  #removeDelivered(batch: ReportItem[]) {
    const sent = new Set(batch);
    this.#queue = this.#queue.filter((item) => !sent.has(item));
  }
}
