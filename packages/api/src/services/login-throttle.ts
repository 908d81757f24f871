import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { DomainError } from "../errors";

/**
 * Sign-in attempts per account before it is locked for a while. Each attempt is counted before the
 * password is checked, so parallel guesses cannot slip past the limit; a success clears the count.
 */
export interface LoginThrottle {
  consumeAttempt(key: string): Promise<void>;
  recordSuccess(key: string): Promise<void>;
}

export function createLoginThrottle({ attempts = 10, windowSeconds = 15 * 60 } = {}): LoginThrottle {
  const limiter = new RateLimiterMemory({ points: attempts, duration: windowSeconds });
  return {
    async consumeAttempt(key) {
      try {
        await limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const seconds = Math.ceil(rejection.msBeforeNext / 1000);
        throw new DomainError(
          "TOO_MANY_REQUESTS",
          `Too many failed sign-ins for this account; try again in ${seconds} s`,
        );
      }
    },
    async recordSuccess(key) {
      await limiter.delete(key);
    },
  };
}
