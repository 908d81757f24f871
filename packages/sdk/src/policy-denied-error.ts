import type { AuthorizeDecision } from "./authorize-types";

/**
 * Thrown by `agent.guard()` when the action may not run: denied, still requiring approval (without
 * `wait`), or denied by the SDK because Tower could not answer. `decision` says which and why.
 */
export class PolicyDeniedError extends Error {
  constructor(
    readonly tool: string,
    readonly decision: AuthorizeDecision,
  ) {
    super(
      decision.decision === "requires_approval"
        ? `"${tool}" requires approval (approval ${decision.approvalId}): ${decision.reason}`
        : `"${tool}" was denied: ${decision.reason}`,
    );
    this.name = "PolicyDeniedError";
  }
}
