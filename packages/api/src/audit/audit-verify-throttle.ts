import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { AuditVerifyThrottle } from "../core/audit-ports";
import { DomainError } from "../core/errors";

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
