import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { DomainError } from "../errors";

/**
 * Limits on `audit.verify` per project: one at a time, and `perMinute` started per minute. A
 * verify reads the whole chain (or all of it since the last one), so unlimited calls would keep
 * a core busy for as long as someone keeps asking.
 */
export interface AuditVerifyThrottle {
  run<T>(projectId: string, work: () => Promise<T>): Promise<T>;
}

export function createAuditVerifyThrottle({ perMinute = 6 } = {}): AuditVerifyThrottle {
  const limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  const running = new Set<string>();
  return {
    async run(projectId, work) {
      if (running.has(projectId)) {
        throw new DomainError(
          "TOO_MANY_REQUESTS",
          "A verification of this project's audit trail is already running; try again when it has finished",
        );
      }
      // Taken before the first await, so calls arriving together cannot all pass the check above.
      running.add(projectId);
      try {
        await limiter.consume(projectId).catch((rejection: unknown) => {
          if (!(rejection instanceof RateLimiterRes)) throw rejection;
          throw new DomainError(
            "TOO_MANY_REQUESTS",
            `The audit trail can be verified ${perMinute} times a minute per project; try again in ${Math.ceil(rejection.msBeforeNext / 1000)} s`,
          );
        });
        return await work();
      } finally {
        running.delete(projectId);
      }
    },
  };
}
