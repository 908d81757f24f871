import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { DomainError } from "../core/errors";
import type { LoginThrottle } from "../core/ports";

export interface LoginThrottleOptions {
  /** Consecutive failures per account and address before that pair is blocked. */
  consecutiveFails?: number;
  /** How long a blocked pair waits, in seconds. */
  pairBlockSeconds?: number;
  /** Failures per address per day before the address is blocked for a day. */
  failsPerAddressPerDay?: number;
}

const DAY_SECONDS = 86_400;

/** Calls without a known address (in-process callers) share one bucket. */
const addressKey = (address: string | null) => address ?? "unknown";
const pairKey = (email: string, address: string | null) => `${email}\n${addressKey(address)}`;

async function take(limiter: RateLimiterAbstract, key: string, message: (seconds: number) => string) {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    throw new DomainError("TOO_MANY_REQUESTS", message(Math.ceil(rejection.msBeforeNext / 1000)));
  }
}

export function createLoginThrottle({
  consecutiveFails = 10,
  pairBlockSeconds = 3_600,
  failsPerAddressPerDay = 100,
}: LoginThrottleOptions = {}): LoginThrottle {
  const byPair = new RateLimiterMemory({
    keyPrefix: "login_fail_consecutive_email_and_address",
    points: consecutiveFails,
    // The recipe remembers them for 90 days; the in-memory store expires keys with a timer, and
    // Node's timers cannot wait longer than 24.8 days (a longer one fires at once), so a week.
    duration: 7 * DAY_SECONDS,
    blockDuration: pairBlockSeconds,
  });
  const byAddress = new RateLimiterMemory({
    keyPrefix: "login_fail_address_per_day",
    points: failsPerAddressPerDay,
    duration: DAY_SECONDS,
    blockDuration: DAY_SECONDS,
  });
  return {
    async consumeAttempt(email, address) {
      await take(
        byAddress,
        addressKey(address),
        (s) => `Too many failed sign-ins from your network address; try again in ${s} s`,
      );
      try {
        await take(
          byPair,
          pairKey(email, address),
          (s) => `Too many failed sign-ins for this account from your network address; try again in ${s} s`,
        );
      } catch (error) {
        // Refused before any password was checked: not a failure to count against the address.
        await byAddress.reward(addressKey(address), 1);
        throw error;
      }
    },
    async recordSuccess(email, address) {
      await byPair.delete(pairKey(email, address));
      await byAddress.reward(addressKey(address), 1);
    },
  };
}
