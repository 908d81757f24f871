import { RETRYABLE_STATUS, statusOf } from "./http-status";

/** Waits between tries of a call whose answer never came: about 8 s in all, a restart of Tower. */
const RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** No answer came (Tower down, the connection cut), or Tower said it could not answer now. */
export function unanswered(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || RETRYABLE_STATUS.has(status);
}

/**
 * `call`, tried again while it goes unanswered. Only for calls that are safe to repeat: here, those
 * that carry idempotency keys, so a try that arrived without its answer coming back makes nothing twice.
 */
export async function retryUnanswered<T>(call: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await call();
    } catch (error) {
      const delay = RETRY_DELAYS_MS[tries];
      if (delay === undefined || !unanswered(error)) throw error;
      await sleep(delay);
    }
  }
}
