import { RETRYABLE_STATUS, statusOf } from "./http-status";

/**
 * How long a call whose answer does not come is sent again, by default: through a restart of
 * Tower (`npm start` answers again after about 10 s on a small machine).
 */
export const RETRY_UNANSWERED_MS = 30_000;
const FIRST_WAIT_MS = 250;
const LONGEST_WAIT_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** No answer came (Tower down, the connection cut), or Tower said it could not answer now. */
export function unanswered(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || RETRYABLE_STATUS.has(status);
}

/** The least time one try is given, however little is left of the window: a big call takes a while. */
const LEAST_TRY_MS = 5_000;

/**
 * `call`, sent again (after 0.25 s, then twice as long each time, up to 5 s) while it goes
 * unanswered, for `forMs` at most. Only for calls that are safe to repeat: here, those that carry
 * idempotency keys, so a try that arrived without its answer coming back makes nothing twice.
 * Each try is aborted (through `signal`) when the window is over: a Tower that holds the
 * connection open without answering (frozen, a proxy stuck) is an unanswered call too, not a wait
 * for as long as it takes.
 */
export async function retryUnanswered<T>(call: (signal: AbortSignal) => Promise<T>, forMs: number): Promise<T> {
  const giveUpAt = Date.now() + forMs;
  for (let wait = FIRST_WAIT_MS; ; wait = Math.min(wait * 2, LONGEST_WAIT_MS)) {
    try {
      return await call(AbortSignal.timeout(Math.max(giveUpAt - Date.now(), LEAST_TRY_MS)));
    } catch (error) {
      const left = giveUpAt - Date.now();
      if (left <= 0 || !unanswered(error)) throw error;
      await sleep(Math.min(wait, left));
    }
  }
}
