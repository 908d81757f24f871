import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { DomainError } from "../core/errors";
import type { IngestThrottle } from "../core/ports";

/**
 * The default: about a quarter of what one server stores (some 20,000 reports a second measured on
 * two cores), so one runaway agent or leaked key cannot take the whole ingest path, while 100
 * agents sharing a key at 50 reports a second each, or an SDK emptying its 10,000-report outage
 * buffer in two seconds, still fit.
 */
export const DEFAULT_INGEST_ITEMS_PER_SECOND = 5_000;

export function createIngestThrottle({ itemsPerSecond = DEFAULT_INGEST_ITEMS_PER_SECOND } = {}): IngestThrottle {
  const limiter = new RateLimiterMemory({ points: itemsPerSecond, duration: 1 });
  return {
    async consume(key, items) {
      try {
        await limiter.consume(key, items);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        throw new DomainError(
          "TOO_MANY_REQUESTS",
          `Too many reports from this key (limit ${itemsPerSecond} per second); retry in ${rejection.msBeforeNext} ms`,
        );
      }
    },
  };
}
