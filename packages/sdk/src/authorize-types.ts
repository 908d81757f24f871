import type { Approval, DecisionSource, PolicyCheckInput, PolicyDecision } from "@tower/shared";

/** What `authorize()` asks about: the agent's name and session are filled in. */
export type AuthorizeRequest = Omit<PolicyCheckInput, "agent" | "sessionId">;

export interface WaitOptions {
  /**
   * Gives up after this long and answers "denied" (fail closed). Default: until the approval
   * expires (plus a short grace for Tower to say so).
   */
  timeoutMs?: number;
  /** Aborting answers "denied" at once. */
  signal?: AbortSignal;
}

export interface AuthorizeOptions extends WaitOptions {
  /**
   * With "requires_approval": wait for a person's answer over the live connection (resuming after a
   * reconnect) instead of returning at once. Approved, the request is asked again, which uses the
   * approval (one approval allows one action) and re-runs the built-in checks.
   */
  wait?: boolean;
}

/**
 * Tower's decision, or one the SDK made to fail closed: `source: "sdk"` says Tower did not decide
 * (it could not be reached, the wait timed out or was aborted) and the answer is "denied".
 */
export type AuthorizeDecision = Omit<PolicyDecision, "source"> & { source: DecisionSource | "sdk" };

/** What is known of a request before the SDK has to deny it on its own. */
type DecisionBase = Pick<AuthorizeDecision, "ruleId" | "policyVersion" | "inputHash" | "approvalId">;

const UNKNOWN: DecisionBase = { ruleId: null, policyVersion: 0, inputHash: "", approvalId: null };

/** A "denied" made by the SDK itself: Tower could not be asked, or its answer could not be awaited. */
export function failClosed(reason: string, base: Partial<DecisionBase> = {}): AuthorizeDecision {
  const known = { ...UNKNOWN, ...base };
  return {
    decision: "denied",
    reason: `${reason} (denied: the SDK fails closed)`,
    source: "sdk",
    check: null,
    ruleId: known.ruleId,
    policyVersion: known.policyVersion,
    inputHash: known.inputHash,
    approvalId: known.approvalId,
    expiresAt: null,
  };
}

function by(approval: Approval): string {
  const who = approval.deciderName ?? "an approver";
  return approval.comment ? `${who}: ${approval.comment}` : who;
}

/** The decision an approval's outcome stands for. "allowed" only when a person approved it. */
export function decisionOfApproval(approval: Approval): AuthorizeDecision {
  const base = {
    source: "approval" as const,
    check: null,
    ruleId: approval.ruleId,
    policyVersion: approval.policyVersion,
    inputHash: approval.inputHash,
    approvalId: approval.id,
    expiresAt: null,
  };
  switch (approval.status) {
    case "approved":
      return { ...base, decision: "allowed", reason: `Approved by ${by(approval)}` };
    case "denied":
      return { ...base, decision: "denied", reason: `Denied by ${by(approval)}` };
    case "expired":
      return {
        ...base,
        decision: "denied",
        reason: `Nobody decided in time: the approval expired at ${new Date(approval.expiresAt).toISOString()}`,
      };
    case "cancelled":
      return {
        ...base,
        decision: "denied",
        reason: `The approval was cancelled${approval.deciderName ? ` by ${approval.deciderName}` : ""}`,
      };
    default:
      return failClosed(`Approval ${approval.id} is still pending`, base);
  }
}
