import { agentSessions, approvals, teams } from "@tower/db";
import {
  DECISION_OF_EFFECT,
  LIMITS,
  type Actor,
  type ChangeEvent,
  type PolicyCheckRequest,
  type PolicyDecision,
} from "@tower/shared";
import { and, eq } from "drizzle-orm";
import { findAgentByName, type AgentRow } from "../agents/agent-writes";
import { assertActsAs, type ProjectAccess } from "../core/access";
import { appendAudit, type AuditRowInput } from "../core/audit-chain";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { prepared, slot } from "../core/prepared";
import { newId } from "../core/tokens";
import { approvalChange, findOpenApproval, pendingApprovalsOf, type ApprovalRow } from "./approval-rows";
import { runBuiltInChecks, type CheckFailure } from "./built-in-checks";
import type { AgentFacts, CompiledPolicy, RuleOutcome } from "./compiled-policy";
import { logDecision } from "./decision-log";
import { activeGrant } from "./grant-service";
import { normalizeRequest, type NormalizedRequest } from "./policy-request";
import { policyInForce } from "./policy-store";

/** What the built-in checks and the rules say about a request, before approvals and grants. */
export interface Evaluation {
  request: NormalizedRequest;
  agent: AgentRow | undefined;
  policy: CompiledPolicy;
  /** The built-in check that denied, if one did (the rules were then not consulted). */
  failure: CheckFailure | null;
  outcome: RuleOutcome | null;
}

export function teamNameOf(deps: Deps, teamId: string | null): string | null {
  if (teamId === null) return null;
  const row = prepared(deps.state, "teams.name", () =>
    deps.db
      .select({ name: teams.name })
      .from(teams)
      .where(eq(teams.id, slot("id")))
      .prepare(),
  ).get({ id: teamId });
  return row?.name ?? null;
}

/** Whether `sessionId` is a session (open or ended) of the agent. */
function isSessionOf(deps: Deps, agentId: string, sessionId: string): boolean {
  const row = prepared(deps.state, "sessions.ofAgent", () =>
    deps.db
      .select({ id: agentSessions.id })
      .from(agentSessions)
      .where(and(eq(agentSessions.id, slot("sessionId")), eq(agentSessions.agentId, slot("agentId"))))
      .prepare(),
  ).get({ sessionId, agentId });
  return row !== undefined;
}

/** Built-in checks first, then the project's rules (compiled once per version). No side effects. */
export function evaluate(deps: Deps, projectId: string, input: PolicyCheckRequest): Evaluation {
  const request = normalizeRequest(input);
  const policy = policyInForce(deps, projectId);
  const agent = findAgentByName(deps.state, deps.db, projectId, request.agent);
  const failure = runBuiltInChecks(deps.state, deps.db, agent, request, deps.clock.now());
  if (failure || !agent) return { request, agent, policy, failure, outcome: null };
  const facts: AgentFacts = {
    name: agent.name,
    role: agent.role,
    tags: agent.tags,
    teamName: policy.usesTeams ? teamNameOf(deps, agent.teamId) : null,
  };
  return { request, agent, policy, failure: null, outcome: policy.decide(request, facts) };
}

function decisionOf(evaluation: Evaluation): PolicyDecision {
  const { request, policy, failure, outcome } = evaluation;
  const base = { policyVersion: policy.version, inputHash: request.inputHash, approvalId: null, expiresAt: null };
  if (failure)
    return { ...base, decision: "denied", reason: failure.reason, source: "check", check: failure.check, ruleId: null };
  return {
    ...base,
    decision: DECISION_OF_EFFECT[outcome!.effect],
    reason: outcome!.reason,
    source: outcome!.ruleId === null ? "default" : "rule",
    check: null,
    ruleId: outcome!.ruleId,
  };
}

/** "Try a request": what would decide it and why, with nothing recorded and no approval asked. */
export function tryPolicy(deps: Deps, projectId: string, input: PolicyCheckRequest) {
  const evaluation = evaluate(deps, projectId, input);
  const decision = decisionOf(evaluation);
  const ruleIndex =
    decision.ruleId === null ? null : evaluation.policy.document.rules.findIndex((rule) => rule.id === decision.ruleId);
  return { ...decision, ruleIndex, path: evaluation.request.path };
}

/** The audit row of a decision: who asked, for what, what was decided by which rule or check. */
function decisionRow(
  evaluation: Evaluation,
  decision: PolicyDecision,
  via: string | null,
  person: Actor | null,
): AuditRowInput {
  const { request, agent } = evaluation;
  return {
    operation: "policy.check",
    target: request.tool,
    decision: decision.decision,
    agentId: agent?.id ?? null,
    sessionId: request.sessionId,
    detail: {
      agent: request.agent,
      operation: request.operation,
      path: request.path,
      estimatedCostUsd: request.estimatedCostUsd,
      source: decision.source,
      check: decision.check,
      ruleId: decision.ruleId,
      policyVersion: decision.policyVersion,
      inputHash: decision.inputHash,
      approvalId: decision.approvalId,
      reason: decision.reason,
      ...(via ? { reportedWith: via } : {}),
      ...(person ? { askedBy: { id: person.id, name: person.name } } : {}),
    },
  };
}

/**
 * A rule asks for approval: a grant for this agent and tool allows now; an approved, unused
 * approval of this very request allows once; a pending one is returned again; otherwise a new
 * approval is created (committed, with its audit row, before the answer).
 */
function resolveApproval(
  deps: Deps,
  evaluation: Evaluation,
  decision: PolicyDecision,
  via: string | null,
  actor: Actor,
  person: Actor | null,
): PolicyDecision {
  const { request, policy } = evaluation;
  const agent = evaluation.agent!;
  const now = deps.clock.now();
  const grant = activeGrant(deps.state, deps.db, agent.id, request.tool, now);
  // A grant someone made does not let their own request through: another approver decides it.
  if (grant && !(person && grant.createdById === person.id)) {
    return {
      ...decision,
      decision: "allowed",
      source: "grant",
      approvalId: grant.approvalId,
      reason: `Allowed by a grant from ${grant.createdByName} until ${new Date(grant.expiresAt).toISOString()}`,
    };
  }
  const events: ChangeEvent[] = [];
  const answer = deps.db.transaction((tx): { decision: PolicyDecision; recorded: boolean } => {
    const { inputHash, checkId } = request;
    const open = findOpenApproval(deps.state, tx, { agentId: agent.id, inputHash, checkId }, now);
    if (open?.status === "approved") {
      // Used already means used by this check, asked again: the same answer, nothing to change.
      if (open.usedAt === null) {
        const used = tx
          .update(approvals)
          .set({ usedAt: now, usedByCheck: checkId ?? null })
          .where(eq(approvals.id, open.id))
          .returning()
          .get()!;
        events.push(approvalChange(deps.state, tx, used, "updated", now));
      }
      return {
        decision: {
          ...decision,
          decision: "allowed",
          source: "approval",
          approvalId: open.id,
          reason: `Approved by ${open.deciderName ?? "an approver"}${open.comment ? `: ${open.comment}` : ""}`,
        },
        recorded: false,
      };
    }
    if (open) {
      return {
        decision: { ...decision, approvalId: open.id, expiresAt: open.expiresAt, reason: open.reason },
        recorded: false,
      };
    }
    if (pendingApprovalsOf(deps.state, tx, agent.id, now) >= LIMITS.agentPendingApprovals) {
      const reason = `"${agent.name}" already has ${LIMITS.agentPendingApprovals} approvals waiting for a person; once some are decided, expired or cancelled, ask again`;
      return { decision: { ...decision, decision: "denied", reason }, recorded: false };
    }
    const ttlMs = evaluation.outcome!.ttlSeconds * 1000;
    const row: ApprovalRow = {
      id: newId(),
      projectId: agent.projectId,
      agentId: agent.id,
      agentName: agent.name,
      sessionId: request.sessionId,
      tool: request.tool,
      operation: request.operation,
      path: request.path,
      input: request.input,
      inputHash: request.inputHash,
      reason: decision.reason,
      ruleId: decision.ruleId,
      policyVersion: policy.version,
      estimatedCostUsd: request.estimatedCostUsd,
      status: "pending",
      createdAt: now,
      expiresAt: now + ttlMs,
      decidedAt: null,
      deciderId: null,
      deciderName: null,
      comment: "",
      grantId: null,
      usedAt: null,
      usedByCheck: null,
      requestedWith: via,
      requestedById: person?.id ?? null,
      requestedByName: person?.name ?? null,
    };
    tx.insert(approvals).values(row).run();
    const created = { ...decision, approvalId: row.id, expiresAt: row.expiresAt };
    appendAudit(deps, tx, agent.projectId, actor, decisionRow(evaluation, created, via, person), now);
    events.push(approvalChange(deps.state, tx, row, "created", now));
    return { decision: created, recorded: true };
  });
  publishChanges(deps, events);
  if (!answer.recorded)
    logDecision(deps, agent.projectId, {
      clientId: newId(),
      actor,
      entry: decisionRow(evaluation, answer.decision, via, person),
    });
  return answer.decision;
}

/**
 * The check an agent makes before it acts: allowed, denied, or requires approval, with the reason,
 * the rule or check that decided and the policy version. Every decision is an audit row.
 */
export function checkPolicy(
  deps: Deps,
  access: ProjectAccess,
  input: PolicyCheckRequest,
  { via = null, caller, byPerson = false }: { via?: string | null; caller: () => Actor; byPerson?: boolean },
): PolicyDecision {
  assertActsAs(access, input.agent);
  const evaluation = evaluate(deps, access.projectId, input);
  const decision = decisionOf(evaluation);
  const { agent } = evaluation;
  // The audit row and the approval name the session: it must be one of this agent's.
  if (agent && evaluation.request.sessionId !== null && !isSessionOf(deps, agent.id, evaluation.request.sessionId)) {
    throw new DomainError(
      "BAD_REQUEST",
      `"${evaluation.request.sessionId}" is not a session of ${agent.name}: send the id session.start gave it, or none`,
      { field: "sessionId" },
    );
  }
  // A person asking on an agent's behalf is the row's actor and is named on the approval (they
  // may not decide it); an agent's own check is the agent's; an unknown name is no agent.
  const person = byPerson ? caller() : null;
  const actor: Actor = person ?? (agent ? { type: "agent", id: agent.id, name: agent.name } : caller());
  if (decision.decision === "requires_approval") return resolveApproval(deps, evaluation, decision, via, actor, person);
  logDecision(deps, access.projectId, {
    clientId: newId(),
    actor,
    entry: decisionRow(evaluation, decision, via, person),
  });
  return decision;
}
