import type { PolicyDocument, PolicyEffect, PolicyRule } from "@tower/shared";
import { compileGlobs } from "./globs";
import type { NormalizedRequest } from "./policy-request";

/** What rules may match on about the asking agent. */
export interface AgentFacts {
  name: string;
  role: string;
  tags: readonly string[];
  /** Its team's name; looked up only when some rule matches on teams (`usesTeams`). */
  teamName: string | null;
}

/** What the rules (or the project default) decided. */
export interface RuleOutcome {
  effect: PolicyEffect;
  reason: string;
  /** The matching rule's id; null when the default applied. */
  ruleId: string | null;
  /** How long an approval it asks for stays open, seconds. */
  ttlSeconds: number;
}

export interface CompiledPolicy {
  version: number;
  document: PolicyDocument;
  /** Whether any rule matches on team names (the agent's team is then looked up). */
  usesTeams: boolean;
  decide(request: NormalizedRequest, agent: AgentFacts): RuleOutcome;
}

type Test = (request: NormalizedRequest, agent: AgentFacts) => boolean;

/** A rule as a list of tests, one per field it gives: it matches when all pass. */
function compileRule(rule: PolicyRule): Test[] {
  const { agents, roles, tags, teams, tools, operations, paths, costAbove } = rule.match;
  const tests: Test[] = [];
  if (agents) {
    const names = new Set(agents);
    tests.push((_, agent) => names.has(agent.name));
  }
  if (roles) {
    const wanted = new Set(roles);
    tests.push((_, agent) => wanted.has(agent.role));
  }
  if (tags) {
    const wanted = new Set(tags);
    tests.push((_, agent) => agent.tags.some((tag) => wanted.has(tag)));
  }
  if (teams) {
    const wanted = new Set(teams);
    tests.push((_, agent) => agent.teamName !== null && wanted.has(agent.teamName));
  }
  if (tools) {
    const matches = compileGlobs(tools);
    tests.push((request) => matches(request.tool));
  }
  if (operations) {
    const wanted = new Set(operations);
    tests.push((request) => wanted.has(request.operation));
  }
  if (paths) {
    const matches = compileGlobs(paths);
    // A path outside the workspace is matched as given (absolute), which relative globs never match.
    tests.push((request) => request.path !== null && !request.pathOutside && matches(request.path));
  }
  if (costAbove !== undefined) {
    tests.push((request) => request.estimatedCostUsd !== null && request.estimatedCostUsd > costAbove);
  }
  return tests;
}

/**
 * Builds a policy version's matchers once (sets and globs compiled ahead), so a check only runs
 * them: the first rule whose every test passes decides; the default when none does.
 */
export function compilePolicy(version: number, document: PolicyDocument): CompiledPolicy {
  const rules = document.rules.map((rule) => ({
    tests: compileRule(rule),
    outcome: {
      effect: rule.effect,
      reason: rule.reason,
      ruleId: rule.id,
      ttlSeconds: rule.ttlSeconds ?? document.defaultTtlSeconds,
    } satisfies RuleOutcome,
  }));
  const fallback: RuleOutcome = {
    effect: document.defaultEffect,
    reason: document.defaultReason,
    ruleId: null,
    ttlSeconds: document.defaultTtlSeconds,
  };
  return {
    version,
    document,
    usesTeams: document.rules.some((rule) => rule.match.teams !== undefined),
    decide(request, agent) {
      for (const rule of rules) {
        let matches = true;
        for (const test of rule.tests) {
          if (!test(request, agent)) {
            matches = false;
            break;
          }
        }
        if (matches) return rule.outcome;
      }
      return fallback;
    },
  };
}
