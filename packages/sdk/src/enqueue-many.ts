import type { ClientRouter as AppRouter } from "@tower/api/client";
import { LIMITS, WORK_LIMITS } from "@tower/shared";
import type { TRPCClient } from "@trpc/client";

/** Well under the server's 1 MiB request body: inputs can be up to 64 KiB each. */
const CALL_BYTES = LIMITS.requestBodyBytes / 2;

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

/** The inputs in calls of at most `enqueuePerCall` runs and about `CALL_BYTES` each, in order. */
function calls(inputs: readonly Record<string, unknown>[]): Record<string, unknown>[][] {
  const out: Record<string, unknown>[][] = [];
  let current: Record<string, unknown>[] = [];
  let bytes = 0;
  for (const input of inputs) {
    const size = JSON.stringify(input).length;
    if (current.length > 0 && (current.length >= WORK_LIMITS.enqueuePerCall || bytes + size > CALL_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(input);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Queues a run of `task` per input, in as few `task.enqueueMany` calls as the limits allow (each one
 * transaction on the server), one after another so the runs are made in the order given.
 */
export async function enqueueMany(
  api: TRPCClient<AppRouter>,
  task: string,
  inputs: readonly Record<string, unknown>[],
  options: { priority?: number } = {},
): Promise<string[]> {
  const ids: string[] = [];
  for (const chunk of calls(inputs)) {
    try {
      const made = await api.task.enqueueMany.mutate({
        task,
        runs: chunk.map((input) => ({ input: input as never, priority: options.priority })),
      });
      ids.push(...made.ids);
    } catch (error) {
      if (ids.length === 0) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new EnqueueManyError(`${ids.length} of ${inputs.length} runs were queued, then: ${message}`, ids, error);
    }
  }
  return ids;
}
