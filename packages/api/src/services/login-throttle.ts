import { RateLimiterMemory } from "rate-limiter-flexible";
import { DomainError } from "../errors";

/** Failed sign-ins per account before it is locked for a while; a success clears the count. */
export interface LoginThrottle {
  assertAllowed(key: string): Promise<void>;
  recordFailure(key: string): Promise<void>;
  recordSuccess(key: string): Promise<void>;
}

export function createLoginThrottle({ attempts = 10, windowSeconds = 15 * 60 } = {}): LoginThrottle {
  const limiter = new RateLimiterMemory({ points: attempts, duration: windowSeconds });
  return {
    async assertAllowed(key) {
      const state = await limiter.get(key);
      if (state && state.consumedPoints >= attempts) {
        const seconds = Math.ceil(state.msBeforeNext / 1000);
        throw new DomainError(
          "TOO_MANY_REQUESTS",
          `Too many failed sign-ins for this account; try again in ${seconds} s`,
        );
      }
    },
    async recordFailure(key) {
      await limiter.penalty(key, 1);
    },
    async recordSuccess(key) {
      await limiter.delete(key);
    },
  };
}
