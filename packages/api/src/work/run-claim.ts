import { runs, type DbOrTx } from "@tower/db";
import type { ChangeEvent } from "@tower/shared";
import { and, eq, sql } from "drizzle-orm";
import type { AgentRow } from "../agents/agent-writes";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { prepared, slot } from "../core/prepared";
import type { AgentFacts, CompiledPolicy } from "../policy/compiled-policy";
import { teamNameOf } from "../policy/policy-check";
import type { NormalizedRequest } from "../policy/policy-request";
import { policyInForce } from "../policy/policy-store";
import { currentUsage } from "../telemetry/budget-service";
import { runChange, type RunRow } from "./run-rows";

/** Queued runs looked at per claim beyond those wanted: some may be refused to this agent. */
const EXTRA_CANDIDATES = 20;

/**
 * Why the agent may take no run at all now (disabled, a budget spent), or null. A refused agent
 * stays connected and is offered runs again once this changes.
 */
export function claimRefusal(deps: Deps, agent: AgentRow, now: number): string | null {
  if (agent.status === "disabled") return `"${agent.name}" is disabled`;
  if (agent.budgetTokensPerSession === null && agent.budgetCostUsdPerDay === null) return null;
  for (const usage of currentUsage(deps.state, deps.db, agent, [], now)) {
    if (usage.used >= usage.limit) return `"${agent.name}" has used its ${usage.budget.replaceAll("_", " ")} budget`;
  }
  return null;
}

/**
 * Whether a rule of the project's policy denies this agent the task: asked as the tool
 * `task:<name>` with the operation `claim`. Only a rule that matches decides; the project default
 * (for tools an agent calls) does not keep agents from work.
 */
function ruleRefuses(policy: CompiledPolicy, facts: AgentFacts, taskName: string): boolean {
  const request: NormalizedRequest = {
    agent: facts.name,
    tool: `task:${taskName}`,
    operation: "claim",
    path: null,
    pathOutside: false,
    input: {},
    estimatedCostUsd: null,
    sessionId: null,
    checkId: undefined,
    inputHash: "",
  };
  const outcome = policy.decide(request, facts);
  return outcome.ruleId !== null && outcome.effect !== "allow";
}

export type Claimed = { row: RunRow; event: ChangeEvent }[];

/**
 * Leases the agent up to `max` queued runs it may take (their target matches the agent, available,
 * not expired; highest priority, then oldest), in one transaction: one commit however many. Each
 * lease lasts `leaseMs` and is renewed by heartbeats; each attempt must end by its maximum duration.
 */
export function claimRuns(
  deps: Deps,
  agent: AgentRow,
  leaseMs: number,
  max: number,
  /** Runs this claimer must not take (taken back from it: it may be stalled, not gone). */
  exclude: ReadonlySet<string> = new Set(),
): Claimed {
  return deps.db.transaction((tx) => claimRunsTx(deps, tx, agent, leaseMs, max, exclude));
}

/** `claimRuns` inside the caller's transaction (the assignment streams share one commit: group-commit.ts). */
export function claimRunsTx(
  deps: Deps,
  tx: DbOrTx,
  agent: AgentRow,
  leaseMs: number,
  max: number,
  exclude: ReadonlySet<string>,
): Claimed {
  const now = deps.clock.now();
  if (max < 1 || claimRefusal(deps, agent, now)) return [];
  const policy = policyInForce(deps, agent.projectId);
  const facts: AgentFacts = {
    name: agent.name,
    role: agent.role,
    tags: agent.tags,
    teamName: policy.usesTeams ? teamNameOf(deps, agent.teamId) : null,
  };
  const candidates = prepared(deps.state, "runs.claimable", () =>
    tx
      .select()
      .from(runs)
      .where(
        and(
          eq(runs.projectId, slot("projectId")),
          eq(runs.status, "queued"),
          sql`${runs.availableAt} <= ${slot("now")}`,
          sql`(${runs.expiresAt} IS NULL OR ${runs.expiresAt} > ${slot("now")})`,
          sql`(${runs.targetKind} = 'any' OR (${runs.targetKind} = 'agent' AND ${runs.targetValue} = ${slot("name")}) OR (${runs.targetKind} = 'role' AND ${runs.targetValue} = ${slot("role")}))`,
        ),
      )
      .orderBy(sql`${runs.priority} DESC`, runs.id)
      .limit(slot("limit"))
      .prepare(),
  ).all({ projectId: agent.projectId, now, name: agent.name, role: agent.role, limit: max + EXTRA_CANDIDATES });
  const refused = new Map<string, boolean>();
  const claimed: { row: RunRow; event: ChangeEvent }[] = [];
  for (const candidate of candidates) {
    if (claimed.length === max) break;
    if (exclude.has(candidate.id)) continue;
    let refuses = refused.get(candidate.taskName);
    if (refuses === undefined)
      refused.set(candidate.taskName, (refuses = ruleRefuses(policy, facts, candidate.taskName)));
    if (refuses) continue;
    // The leased row is built from the one read (an UPDATE … RETURNING costs the update again).
    const row: RunRow = {
      ...candidate,
      status: "leased",
      agentId: agent.id,
      agentName: agent.name,
      leasedAt: now,
      leaseExpiresAt: now + leaseMs,
      deadlineAt: now + candidate.maxDurationSeconds * 1000,
      updatedAt: now,
    };
    const leased = prepared(deps.state, "runs.lease", () =>
      tx
        .update(runs)
        .set({
          status: "leased",
          agentId: slot("agentId") as never,
          agentName: slot("agentName") as never,
          leasedAt: slot("leasedAt") as never,
          leaseExpiresAt: slot("leaseExpiresAt") as never,
          deadlineAt: slot("deadlineAt") as never,
          updatedAt: slot("updatedAt") as never,
        })
        .where(and(eq(runs.id, slot("id")), eq(runs.status, "queued")))
        .prepare(),
    ).run(row);
    if (leased.changes === 1) claimed.push({ row, event: runChange(deps.state, tx, row, "updated", now) });
  }
  return claimed;
}

/**
 * Puts runs claimed for a stream that ended before handing them over back in the queue, as they
 * were (the same attempt: no agent ever saw them). A run that moved on meanwhile is left alone.
 */
export function unclaimRuns(deps: Deps, rows: readonly RunRow[]) {
  const now = deps.clock.now();
  const events = deps.db.transaction((tx) =>
    rows.flatMap((claimed) => {
      const row = tx
        .update(runs)
        .set({
          status: "queued",
          agentId: null,
          agentName: null,
          leasedAt: null,
          leaseExpiresAt: null,
          deadlineAt: null,
          updatedAt: now,
        })
        .where(and(eq(runs.id, claimed.id), eq(runs.status, "leased"), eq(runs.attempt, claimed.attempt)))
        .returning()
        .get();
      return row ? [runChange(deps.state, tx, row, "updated", now)] : [];
    }),
  );
  publishChanges(deps, events);
}
