import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { DomainError } from "../errors";

/** Reports per second one API key (or session) may send; a runaway agent gets 429s, not the server. */
export interface IngestThrottle {
  consume(key: string, items: number): Promise<void>;
}

export function createIngestThrottle({ itemsPerSecond = 100_000 } = {}): IngestThrottle {
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
