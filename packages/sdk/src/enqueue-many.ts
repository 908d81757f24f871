import type { ClientRouter as AppRouter } from "@tower/api/client";
import { LIMITS, WORK_LIMITS, type Run } from "@tower/shared";
import type { TRPCClient } from "@trpc/client";
import { reportId } from "./report-id";
import { retryUnanswered, unanswered } from "./retry-unanswered";

/** Well under the server's 1 MiB request body: inputs can be up to 64 KiB each. */
const CALL_BYTES = LIMITS.requestBodyBytes / 2;

export interface EnqueueOptions {
  priority?: number;
  /**
   * Makes the call safe to repeat: a run already queued in the project with this key is answered
   * instead of a new one (for as long as Tower keeps that run). Without it the client makes one per
   * call, so that its own retries, when an answer is lost, never queue the run twice.
   */
  idempotencyKey?: string;
}

export interface EnqueueManyOptions {
  priority?: number;
  /** One per input, as `EnqueueOptions.idempotencyKey`: repeating the call then queues none twice. */
  idempotencyKeys?: readonly string[];
}

/** Thrown when a later call of a bulk enqueue failed: the runs of the calls before it are queued. */
export class EnqueueManyError extends Error {
  constructor(
    message: string,
    /** The ids of the runs queued before the failure, in the order given. */
    readonly queued: string[],
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = "EnqueueManyError";
  }
}

type Entry = { input: Record<string, unknown>; idempotencyKey: string };

/** The runs in calls of at most `enqueuePerCall` runs and about `CALL_BYTES` each, in order. */
function calls(entries: readonly Entry[]): Entry[][] {
  const out: Entry[][] = [];
  let current: Entry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = JSON.stringify(entry.input).length + entry.idempotencyKey.length;
    if (current.length > 0 && (current.length >= WORK_LIMITS.enqueuePerCall || bytes + size > CALL_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Queues one run of `task`, tried again (with the same key) while Tower's answer does not come. */
export function enqueue(
  api: TRPCClient<AppRouter>,
  task: string,
  input: Record<string, unknown> | undefined,
  options: EnqueueOptions = {},
): Promise<Run> {
  const call = { task, input: input as never, ...options, idempotencyKey: options.idempotencyKey ?? reportId() };
  return retryUnanswered(() => api.task.runNow.mutate(call));
}

/**
 * Queues a run of `task` per input, in as few `task.enqueueMany` calls as the limits allow (each one
 * transaction on the server), one after another so the runs are made in the order given. Each run
 * carries an idempotency key (given, or made here), so a call whose answer is lost is sent again
 * without queueing its runs twice.
 */
export async function enqueueMany(
  api: TRPCClient<AppRouter>,
  task: string,
  inputs: readonly Record<string, unknown>[],
  options: EnqueueManyOptions = {},
): Promise<string[]> {
  const keys = options.idempotencyKeys;
  if (keys !== undefined && keys.length !== inputs.length) {
    throw new TypeError(`idempotencyKeys: give one per input (${inputs.length}), not ${keys.length}`);
  }
  const entries = inputs.map((input, i) => ({ input, idempotencyKey: keys?.[i] ?? reportId() }));
  const ids: string[] = [];
  for (const chunk of calls(entries)) {
    try {
      const made = await retryUnanswered(() =>
        api.task.enqueueMany.mutate({
          task,
          runs: chunk.map((entry) => ({ ...entry, input: entry.input as never, priority: options.priority })),
        }),
      );
      ids.push(...made.ids);
    } catch (error) {
      if (ids.length === 0) throw error;
      const message = error instanceof Error ? error.message : String(error);
      // Unanswered: the call may have arrived and queued its runs, which only its keys can tell.
      const unknown = unanswered(error)
        ? `; whether the next ${chunk.length} were queued is not known (Tower did not answer): ` +
          `call again with the same idempotencyKeys to queue only what is missing`
        : "";
      throw new EnqueueManyError(
        `${ids.length} of ${inputs.length} runs were queued, then: ${message}${unknown}`,
        ids,
        error,
      );
    }
  }
  return ids;
}
