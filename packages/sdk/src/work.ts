import type { ClientRouter as AppRouter } from "@tower/api/client";
import type { Run, RunAssignment } from "@tower/shared";
import { TRPCClientError, type TRPCClient } from "@trpc/client";
import type { Unsubscribable } from "@trpc/server/observable";
import { lastingSubscription } from "./lasting-subscription";
import { reportId } from "./report-id";
import { RunReporter } from "./run-reporter";

/** What a run's handler gets: the run, a signal that says stop, and ways to report as it goes. */
export interface RunContext {
  readonly id: string;
  /** The task's name. */
  readonly task: string;
  readonly input: Record<string, unknown>;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly run: Run;
  /**
   * Aborted when the run is cancelled, when Tower took it back (its lease lapsed, it overran its
   * maximum duration) or when the agent stops; `signal.reason` says which. Stop soon after.
   */
  readonly signal: AbortSignal;
  /** Progress 0–100 with an optional message; sent at once (coalesced) and shown live. */
  progress(percent: number, message?: string): void;
  /** Log lines, sent in batches with the next heartbeat. */
  log(...lines: string[]): void;
}

/** Returns the run's output (any JSON); a thrown error fails the attempt with its message. */
export type RunHandler = (run: RunContext) => unknown;

export interface WorkOptions {
  /** Runs held at once (1–64). Default 1. */
  concurrency?: number;
}

export interface WorkLoop {
  /** Runs being worked on now. */
  readonly active: number;
  /**
   * Stops taking runs; the ones in hand are told to stop: a handler that throws then gives its run
   * back to the queue (no attempt spent), one that returns completes it.
   */
  stop(): Promise<void>;
}

/** A progress change goes out this soon (later changes within it ride along). */
const PROGRESS_FLUSH_MS = 200;
/** Logs held at most before they go out without waiting for a heartbeat. */
const LOG_BATCH = 100;

const codeOf = (error: unknown) =>
  error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
/** Answers that asking again cannot change: the report is invalid, or the key may not report. */
const REFUSED_FOR_GOOD = new Set(["BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND"]);

/**
 * How long a stopping agent goes on trying to report the outcomes of its runs while Tower cannot
 * be reached. After that it stops; each such run goes back to the queue when its lease lapses.
 */
export const STOP_REPORT_GRACE_MS = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How an attempt ended here: its output, the error it threw, or given back unfinished because the
 * agent is stopping (queued again for another agent, no attempt spent).
 */
type Outcome = { output: unknown } | { error: string } | { release: true };

/** The run can no longer be reported by this process: it ended, or Tower gave it to another attempt. */
class RunLostError extends Error {}

/** One run in hand: heartbeats (lease, progress, logs), cancellation, and reporting its outcome. */
class HeldRun {
  readonly controller = new AbortController();
  #progress: { percent?: number; message?: string } = {};
  #logs: string[] = [];
  #timer: ReturnType<typeof setInterval>;
  #flush: ReturnType<typeof setTimeout> | undefined;
  #beating: Promise<void> | null = null;
  /** The heartbeat waiting to go out, taken back (its logs with it) when the outcome overtakes it. */
  #unsent: (() => boolean) | null = null;
  /** Why the run is no longer this process's to report (taken back, ended elsewhere, key refused). */
  #lost: string | null = null;
  /** Set when the agent stops: reporting the outcome is given up after this time (Date.now()). */
  #reportBy = Number.POSITIVE_INFINITY;
  /** Resolves when the agent stops, so that a report Tower never answers is not waited on for ever. */
  #stopped!: () => void;
  readonly #stopping = new Promise<void>((resolve) => (this.#stopped = resolve));

  constructor(
    private readonly reporter: RunReporter,
    readonly run: Run,
    leaseMs: number,
  ) {
    this.#timer = setInterval(() => void this.beat(), Math.max(100, Math.floor(leaseMs / 3)));
    (this.#timer as { unref?: () => void }).unref?.();
  }

  context(): RunContext {
    const { run } = this;
    return {
      id: run.id,
      task: run.taskName,
      input: run.input,
      attempt: run.attempt,
      run,
      signal: this.controller.signal,
      progress: (percent, message) => {
        this.#progress = { percent: Math.max(0, Math.min(100, percent)), message };
        this.#flush ??= setTimeout(() => void this.beat(), PROGRESS_FLUSH_MS);
      },
      log: (...lines) => {
        this.#logs.push(...lines);
        if (this.#logs.length >= LOG_BATCH) void this.beat();
      },
    };
  }

  abort(reason: string) {
    if (!this.controller.signal.aborted) this.controller.abort(new Error(reason));
  }

  /** The agent is stopping: told to stop, and its outcome reported until `reportBy` at most. */
  stop(reportBy: number) {
    this.#reportBy = reportBy;
    this.#stopped();
    this.abort("The agent is stopping");
  }

  /** `answer`, or a failure once the agent stopped and its time to report is over. */
  #untilReportBy<T>(answer: Promise<T>): Promise<T> {
    const over = this.#stopping
      .then(() => sleep(Math.max(0, this.#reportBy - Date.now())))
      .then((): never => {
        throw new Error("Tower did not answer");
      });
    return Promise.race([answer, over]);
  }

  /** Renews the lease and sends what is pending; learns of a cancel or of losing the run. */
  beat(): Promise<void> {
    this.#beating ??= this.#send().finally(() => (this.#beating = null));
    return this.#beating;
  }

  async #send() {
    clearTimeout(this.#flush);
    this.#flush = undefined;
    if (this.#lost !== null) return;
    const logs = this.#logs.splice(0, LOG_BATCH);
    const { percent, message } = this.#progress;
    const pending = this.reporter.send({
      kind: "heartbeat",
      id: this.run.id,
      attempt: this.run.attempt,
      progress: percent,
      message,
      logs: logs.length > 0 ? logs : undefined,
    });
    this.#unsent = () => {
      if (!pending.withdraw()) return false;
      this.#logs.unshift(...logs);
      return true;
    };
    try {
      const answer = await pending.result;
      if (answer === null) return; // withdrawn: the outcome carries its logs
      if (!answer.ok) return this.lose(answer.message);
      if (answer.cancelRequested) this.abort("Cancelled by an operator");
    } catch (error) {
      const code = codeOf(error);
      // Refused as it is (its logs, say): sending them again would be refused again.
      if (code === "BAD_REQUEST") return;
      // A revoked key or a disabled agent: nothing this process does with the run counts any more.
      if (REFUSED_FOR_GOOD.has(code ?? "")) return this.lose(`Tower refused the report: ${(error as Error).message}`);
      this.#logs.unshift(...logs); // sent again with the next heartbeat
    } finally {
      this.#unsent = null;
    }
  }

  lose(reason: string) {
    this.#lost ??= reason;
    this.abort(reason);
  }

  /**
   * Reports the outcome, retrying through network trouble until Tower answers: it is stored once
   * (a second report of the same attempt is refused), or refused because the run was taken back.
   * A heartbeat not sent yet is dropped: the outcome says the same and more, in one report. Once
   * the agent is stopping, it tries until `STOP_REPORT_GRACE_MS` after the stop, then gives up.
   */
  async finish(outcome: Outcome) {
    clearInterval(this.#timer);
    clearTimeout(this.#flush);
    this.#unsent?.();
    await this.#beating;
    if (this.#lost !== null) throw new RunLostError(this.#lost);
    // One id for the outcome however often it is sent: Tower answers a report it stored already
    // (its answer lost with the connection) as stored, where it would refuse it as stale.
    const base = { id: this.run.id, attempt: this.run.attempt, reportId: reportId() };
    for (let attempt = 0; ; attempt++) {
      const logs = this.#logs.length > 0 ? this.#logs.slice(0, LOG_BATCH) : undefined;
      try {
        const answer = await this.#untilReportBy(
          this.reporter.send(
            "release" in outcome
              ? { kind: "release", ...base, logs }
              : "error" in outcome
                ? { kind: "fail", ...base, error: outcome.error, logs }
                : { kind: "complete", ...base, output: outcome.output as never, logs },
          ).result,
        );
        if (answer && !answer.ok) throw new RunLostError(answer.message);
        return;
      } catch (error) {
        if (error instanceof RunLostError) throw error;
        // An output too large, a revoked key…: asking again cannot help.
        if (REFUSED_FOR_GOOD.has(codeOf(error) ?? "")) throw error;
        const left = this.#reportBy - Date.now();
        if (left <= 0) {
          throw new Error(
            `Run ${this.run.id}: its outcome could not be reported before the agent stopped ` +
              `(${(error as Error).message}); it goes back to the queue when its lease lapses`,
          );
        }
        await sleep(Math.min(250 * 2 ** attempt, 5_000, left));
      }
    }
  }
}

/**
 * Takes runs pushed over the live connection for `agent` and runs `handler` on each, at most
 * `concurrency` at once; see `AgentHandle.work`.
 */
export function startWork(
  api: TRPCClient<AppRouter>,
  agent: string,
  handler: RunHandler,
  options: WorkOptions,
  onError: (error: Error) => void,
  /** Whether the client was closed (its live connection with it). */
  closed: () => boolean,
): WorkLoop {
  const reporter = new RunReporter(api);
  const held = new Map<string, HeldRun>();
  const settled = new Set<Promise<void>>();
  let stopped = false;

  /** By run and attempt: a retry of a run can arrive before the failed attempt's report has returned. */
  const keyOf = (run: Pick<Run, "id" | "attempt">) => `${run.id}#${run.attempt}`;

  const runOne = (assigned: Run, leaseMs: number) => {
    const key = keyOf(assigned);
    if (held.has(key)) return;
    const run = new HeldRun(reporter, assigned, leaseMs);
    held.set(key, run);
    const done = (async () => {
      // The first heartbeat marks the run running and confirms the lease, beside the handler rather
      // than before it (a round trip less before work starts): a run pushed to a process that was
      // stalled meanwhile may already be someone else's, and its handler is then aborted at once.
      void run.beat();
      let outcome: Outcome;
      try {
        outcome = { output: (await handler(run.context())) ?? null };
      } catch (error) {
        // Stopped by `stop()`: the run was not the handler's failure; it goes back to the queue.
        outcome = stopped
          ? { release: true }
          : { error: error instanceof Error ? error.message || error.name : String(error) };
      }
      try {
        await run.finish(outcome);
      } catch (error) {
        // The attempt is no longer this process's (taken back, ended elsewhere, the key refused):
        // the app hears that its outcome was dropped. A run given back unfinished as the agent
        // stops has nothing to drop.
        if (!(error instanceof RunLostError)) onError(error as Error);
        // A handler that threw once told its run was taken (an agent disabled, a lease lapsed)
        // did as asked: nothing of its work is lost, and an operator's routine action is no error.
        else if ("error" in outcome && run.controller.signal.aborted) return;
        else if (!("release" in outcome)) {
          const { id, attempt } = assigned;
          onError(
            new Error(
              `Run ${id} (attempt ${attempt}): Tower did not take its outcome, which was dropped: ${error.message}`,
            ),
          );
        }
      }
    })().finally(() => {
      held.delete(key);
      settled.delete(done);
    });
    settled.add(done);
  };

  const subscription: Unsubscribable = lastingSubscription<RunAssignment>(
    (handlers) =>
      api.run.assignments.subscribe({ agent, concurrency: options.concurrency ?? 1, batch: true }, handlers),
    {
      onData: (assignment) => {
        if (stopped) return;
        if (assignment.type === "run") runOne(assignment.run, assignment.leaseMs);
        else if (assignment.type === "runs") for (const run of assignment.runs) runOne(run, assignment.leaseMs);
        else if (assignment.type === "cancel")
          held.get(keyOf({ id: assignment.runId, attempt: assignment.attempt }))?.abort(assignment.reason);
        else held.get(keyOf({ id: assignment.runId, attempt: assignment.attempt }))?.lose(assignment.reason);
      },
      onRefused: (error) =>
        onError(new Error(`Tower refused ${agent}'s work stream, so it takes no more runs: ${error.message}`)),
      onError: (error) => onError(error),
      closed,
    },
  );

  return {
    get active() {
      return held.size;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      subscription.unsubscribe();
      const reportBy = Date.now() + STOP_REPORT_GRACE_MS;
      for (const run of held.values()) run.stop(reportBy);
      await Promise.allSettled([...settled]);
    },
  };
}
