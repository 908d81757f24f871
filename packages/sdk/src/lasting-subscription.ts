import { TRPCClientError } from "@trpc/client";
import type { Unsubscribable } from "@trpc/server/observable";

/** What a tRPC client's `subscribe` takes, as far as a lasting subscription uses it. */
export interface SubscriptionHandlers<T> {
  onStarted(): void;
  onData(value: T): void;
  onError(error: TRPCClientError<never>): void;
  onComplete(): void;
}

export interface LastingHandlers<T> {
  onData(value: T): void;
  /**
   * Tower refused the subscription for good (the key revoked or expired, access lost, the agent
   * deleted, the input invalid): it is not subscribed again.
   */
  onRefused(error: Error): void;
  /** Any other failure; it is subscribed again after a pause. */
  onError(error: Error): void;
  /** Whether the client was closed: then an ended stream stays ended (the close ended it). */
  closed(): boolean;
}

/** Answers that subscribing again cannot change. */
const REFUSED_FOR_GOOD = new Set(["BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND"]);
const FIRST_PAUSE_MS = 250;
const LONGEST_PAUSE_MS = 10_000;

const codeOf = (error: unknown) =>
  error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;

/**
 * A subscription that lasts until unsubscribed. tRPC's client subscribes again by itself after
 * the socket drops, but when Tower ends a stream on its side (a key it no longer accepts, the
 * agent deleted, a proxy that stops it) the client takes that as the end and falls silent: an
 * agent would take no more runs and no longer hear a stop. Here an ended stream is opened again (`open` is called
 * anew, so it can resume from the last event seen), with a pause that grows while attempts fail
 * and starts over once one delivers or lasts; a refusal that asking again cannot change ends it.
 */
export function lastingSubscription<T>(
  open: (handlers: SubscriptionHandlers<T>) => Unsubscribable,
  on: LastingHandlers<T>,
): Unsubscribable {
  let current: Unsubscribable | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let ended = false;

  const again = () => {
    if (ended || on.closed()) return;
    const pause = Math.min(FIRST_PAUSE_MS * 2 ** failures, LONGEST_PAUSE_MS);
    failures++;
    retry = setTimeout(subscribe, pause);
  };
  function subscribe() {
    if (ended) return;
    // Each handler answers only for the subscription it was given to: a late word from one
    // already replaced changes nothing.
    let live = true;
    let startedAt = Number.POSITIVE_INFINITY;
    const subscription = open({
      onStarted: () => {
        startedAt = Date.now();
      },
      onData: (value) => {
        if (!live || ended) return;
        failures = 0;
        on.onData(value);
      },
      onError: (error) => {
        if (!live || ended) return;
        live = false;
        if (REFUSED_FOR_GOOD.has(codeOf(error) ?? "")) {
          ended = true;
          return on.onRefused(error);
        }
        on.onError(error);
        again();
      },
      onComplete: () => {
        if (!live || ended) return;
        live = false;
        // A stream that ends as soon as it starts (a key Tower refuses only once a stream runs)
        // is not asked again and again at the first pause.
        if (Date.now() - startedAt > LONGEST_PAUSE_MS) failures = 0;
        again();
      },
    });
    current = {
      unsubscribe: () => {
        live = false;
        subscription.unsubscribe();
      },
    };
  }

  subscribe();
  return {
    unsubscribe() {
      ended = true;
      clearTimeout(retry);
      current?.unsubscribe();
    },
  };
}
