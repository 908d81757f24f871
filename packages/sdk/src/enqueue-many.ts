import type { ClientRouter as AppRouter } from "@tower/api/client";
import { IdempotencyKeySchema, LIMITS, WORK_LIMITS, type Run } from "@tower/shared";
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

/**
 * Thrown by `tasks.enqueue` when Tower's answer did not come however often it was asked: the run
 * may or may not be queued. Enqueueing again with `idempotencyKey` queues it only if it was not.
 */
export class EnqueueUnansweredError extends Error {
  constructor(
    message: string,
    /** The key the run was sent with (yours, or the one the client made). */
    readonly idempotencyKey: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = "EnqueueUnansweredError";
  }
}

/**
 * Thrown when `tasks.enqueueMany` could not queue every run: the runs of the calls before the
 * failure are queued (`queued`); when Tower's answer did not come, those of the failed call may be
 * too. Calling again with `idempotencyKeys` queues only what is missing.
 */
export class EnqueueManyError extends Error {
  constructor(
    message: string,
    /** The ids of the runs queued before the failure, in the order given. */
    readonly queued: string[],
    /** The key of each input, in order (yours, or those the client made). */
    readonly idempotencyKeys: string[],
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = "EnqueueManyError";
  }
}

/** What is wrong with an idempotency key, checked before anything is sent (as Tower checks it). */
function keyProblem(key: unknown): string | null {
  if (typeof key !== "string") return "must be a string";
  const parsed = IdempotencyKeySchema.safeParse(key);
  if (!parsed.success) return parsed.error.issues[0]!.message;
  // Node 20 and current browsers have it (typed from ES2024 on); where missing, Tower still checks.
  const wellFormed = (key as { isWellFormed?: () => boolean }).isWellFormed;
  if (wellFormed && !wellFormed.call(key)) return "has a lone surrogate (not valid Unicode)";
  return null;
}

/** The keys given, checked: one per input, each valid and used once; refused with what is wrong. */
function checkKeys(keys: readonly string[], inputs: number): void {
  if (keys.length !== inputs) {
    throw new TypeError(`idempotencyKeys: give one per input (${inputs}), not ${keys.length}`);
  }
  const first = new Map<string, number>();
  keys.forEach((key, i) => {
    const problem = keyProblem(key);
    if (problem) throw new TypeError(`idempotencyKeys[${i}]: ${problem}`);
    const earlier = first.get(key);
    if (earlier !== undefined) {
      throw new TypeError(`idempotencyKeys[${i}] "${key}" is also idempotencyKeys[${earlier}]: a key names one run`);
    }
    first.set(key, i);
  });
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

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Queues one run of `task`, sent again (with the same key) while Tower's answer does not come. */
export async function enqueue(
  api: TRPCClient<AppRouter>,
  task: string,
  input: Record<string, unknown> | undefined,
  options: EnqueueOptions,
  retryForMs: number,
): Promise<Run> {
  if (options.idempotencyKey !== undefined) {
    const problem = keyProblem(options.idempotencyKey);
    if (problem) throw new TypeError(`idempotencyKey: ${problem}`);
  }
  const call = { task, input: input as never, ...options, idempotencyKey: options.idempotencyKey ?? reportId() };
  try {
    return await retryUnanswered((signal) => api.task.runNow.mutate(call, { signal }), retryForMs);
  } catch (error) {
    if (!unanswered(error)) throw error;
    throw new EnqueueUnansweredError(
      `Tower did not answer (${messageOf(error)}): whether the run of "${task}" was queued is not known; ` +
        `enqueue it again with idempotencyKey "${call.idempotencyKey}" (error.idempotencyKey) to queue it only if it was not`,
      call.idempotencyKey,
      error,
    );
  }
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
  options: EnqueueManyOptions,
  retryForMs: number,
): Promise<string[]> {
  if (options.idempotencyKeys !== undefined) checkKeys(options.idempotencyKeys, inputs.length);
  const keys = options.idempotencyKeys ? [...options.idempotencyKeys] : inputs.map(() => reportId());
  const entries = inputs.map((input, i) => ({ input, idempotencyKey: keys[i]! }));
  const ids: string[] = [];
  for (const chunk of calls(entries)) {
    try {
      const made = await retryUnanswered(
        (signal) =>
          api.task.enqueueMany.mutate(
            {
              task,
              runs: chunk.map((entry) => ({ ...entry, input: entry.input as never, priority: options.priority })),
            },
            { signal },
          ),
        retryForMs,
      );
      ids.push(...made.ids);
    } catch (error) {
      const lost = unanswered(error);
      // A refusal before anything was queued is the call's own answer, as it is.
      if (ids.length === 0 && !lost) throw error;
      // Tower names a run by its place in the call: said here by its place in `inputs`.
      const offset = ids.length;
      const message = messageOf(error).replace(/\bruns\.(\d+)\./g, (_, i: string) => `runs.${Number(i) + offset}.`);
      throw new EnqueueManyError(
        lost
          ? `${ids.length} of ${inputs.length} runs were queued; whether the next ${chunk.length} were is not ` +
              `known (Tower did not answer: ${message}): call enqueueMany again with ` +
              `{ idempotencyKeys: error.idempotencyKeys } to queue only what is missing`
          : `${ids.length} of ${inputs.length} runs were queued, then: ${message}`,
        ids,
        keys,
        error,
      );
    }
  }
  return ids;
}
