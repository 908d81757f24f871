import type { ClientRouter as AppRouter } from "@tower/api/client";
import { LIMITS, WORK_LIMITS, type RunReport, type RunReportResult } from "@tower/shared";
import { TRPCClientError, type TRPCClient } from "@trpc/client";

/** A report on its way: its answer, or `null` when it was withdrawn before it went out. */
export interface PendingReport {
  readonly result: Promise<RunReportResult | null>;
  /** Takes the report back if it has not been sent yet (a completion made a heartbeat pointless). */
  withdraw(): boolean;
}

interface Queued {
  report: RunReport;
  bytes: number;
  resolve(result: RunReportResult | null): void;
  reject(error: unknown): void;
}

/** Calls out at once: reports that come meanwhile wait and go together in the next one. */
const IN_FLIGHT = 2;
/** Well under the server's 1 MiB request body: outputs can be up to 64 KiB each. */
const CALL_BYTES = LIMITS.requestBodyBytes / 2;

const later: (fn: () => void) => void =
  typeof setImmediate === "function" ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0);

const isBadRequest = (error: unknown) =>
  error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === "BAD_REQUEST";

/**
 * Sends the heartbeats, completions and failures of an agent's runs in `run.report` calls: what is
 * reported within one turn of the event loop (and while earlier calls are out) goes in one call and
 * one commit on the server, where a call per report costs a commit each. Each report is answered
 * alone; a call that fails for the network rejects each of its reports (their owners retry).
 */
export class RunReporter {
  #queue: Queued[] = [];
  #scheduled = false;
  #inFlight = 0;

  constructor(private readonly api: TRPCClient<AppRouter>) {}

  send(report: RunReport): PendingReport {
    let entry!: Queued;
    const result = new Promise<RunReportResult | null>((resolve, reject) => {
      entry = { report, bytes: JSON.stringify(report).length, resolve, reject };
    });
    this.#queue.push(entry);
    this.#schedule();
    return {
      result,
      withdraw: () => {
        const index = this.#queue.indexOf(entry);
        if (index < 0) return false;
        this.#queue.splice(index, 1);
        entry.resolve(null);
        return true;
      },
    };
  }

  #schedule() {
    if (this.#scheduled || this.#inFlight >= IN_FLIGHT || this.#queue.length === 0) return;
    this.#scheduled = true;
    later(() => {
      this.#scheduled = false;
      while (this.#inFlight < IN_FLIGHT && this.#queue.length > 0) void this.#call(this.#take());
    });
  }

  /** The next call's reports: up to the server's count and a size well within its body limit. */
  #take(): Queued[] {
    let bytes = 0;
    let count = 0;
    while (count < this.#queue.length && count < WORK_LIMITS.reportsPerCall) {
      bytes += this.#queue[count]!.bytes;
      if (count > 0 && bytes > CALL_BYTES) break;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  async #call(batch: Queued[]) {
    this.#inFlight++;
    try {
      await this.#deliver(batch);
    } finally {
      this.#inFlight--;
      this.#schedule();
    }
  }

  async #deliver(batch: Queued[]) {
    try {
      const results = await this.api.run.report.mutate({ reports: batch.map((q) => q.report) });
      batch.forEach((q, i) => q.resolve(results[i]!));
    } catch (error) {
      // One bad report (an output too large) refuses the whole call: alone, each gets its own answer.
      if (isBadRequest(error) && batch.length > 1) {
        await Promise.all(batch.map((q) => this.#deliver([q])));
        return;
      }
      for (const q of batch) q.reject(error);
    }
  }
}
