import type { PolicyCheckInput, PolicyDecision } from "@tower/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorld, expectTRPCError, type TestCaller, type World } from "../test-fixtures";
import { flushDecisions } from "./decision-log";

let world: World;
let owner: TestCaller;
let projectId: string;

beforeEach(async () => {
  world = await createWorld();
  owner = world.users.owner.caller;
  projectId = world.projectId;
});
afterEach(() => world.close());

type SaveInput = Parameters<TestCaller["policy"]["save"]>[0]["document"];
type RuleInput = NonNullable<SaveInput["rules"]>[number];

/** Saves `document` over whatever version is in force. */
async function setPolicy(document: SaveInput) {
  const { version } = await owner.policy.get({ projectId });
  return owner.policy.save({ projectId, document, expectedVersion: version });
}

const check = (input: Partial<PolicyCheckInput> & { agent?: string }): Promise<PolicyDecision> =>
  owner.policy.check({ projectId, agent: "home-agent", tool: "Read", ...input });

const tryIt = (input: Partial<PolicyCheckInput>) =>
  owner.policy.try({ projectId, agent: "home-agent", tool: "Read", ...input });

const rule = (id: string, match: RuleInput["match"], effect: RuleInput["effect"] = "deny"): RuleInput => ({
  id,
  match,
  effect,
  reason: `rule ${id}`,
});

interface AuditRow {
  decision: string;
  actor_type: string;
  actor_name: string;
  target: string;
  agent_id: string | null;
  detail: string;
}
const decisionRows = () =>
  (
    world.sqlite
      .prepare(
        "select decision, actor_type, actor_name, target, agent_id, detail from audit_events where project_id = ? and operation = 'policy.check' order by id",
      )
      .all(projectId) as AuditRow[]
  ).map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> }));

describe("built-in checks", () => {
  it("an unknown agent is denied, and the row is the caller's", async () => {
    const decision = await check({ agent: "nobody" });
    expect(decision).toMatchObject({
      decision: "denied",
      source: "check",
      check: "agent_unknown",
      ruleId: null,
      policyVersion: 0,
      approvalId: null,
    });
    expect(decision.reason).toMatch(/Unknown agent "nobody"/);
    await flushDecisions(world.deps);
    expect(decisionRows()).toEqual([
      expect.objectContaining({
        decision: "denied",
        actor_type: "user",
        actor_name: "Olivia Owner",
        agent_id: null,
      }),
    ]);
  });

  it("a disabled agent is denied, before any rule (even an allow-all one)", async () => {
    await setPolicy({ rules: [rule("allow-all", {}, "allow")] });
    await owner.agent.setEnabled({ projectId, id: world.homeAgent.id, enabled: false });
    expect(await check({})).toMatchObject({ decision: "denied", check: "agent_disabled", ruleId: null });
    await owner.agent.setEnabled({ projectId, id: world.homeAgent.id, enabled: true });
    expect(await check({})).toMatchObject({ decision: "allowed", source: "rule", ruleId: "allow-all" });
  });

  it("a tool outside a non-empty allowedTools list (names and globs) is denied; an empty list allows any", async () => {
    expect(await check({ tool: "AnythingAtAll" })).toMatchObject({ decision: "allowed", source: "default" });
    await owner.agent.update({
      projectId,
      id: world.homeAgent.id,
      patch: { allowedTools: ["Read", "mcp__github__*"] },
    });
    expect(await check({ tool: "Read" })).toMatchObject({ decision: "allowed" });
    expect(await check({ tool: "mcp__github__create_issue" })).toMatchObject({ decision: "allowed" });
    const denied = await check({ tool: "Bash" });
    expect(denied).toMatchObject({ decision: "denied", source: "check", check: "tool_not_allowed" });
    expect(denied.reason).toContain("Read, mcp__github__*");
    expect(await check({ tool: "mcp__slack__post" })).toMatchObject({ check: "tool_not_allowed" });
    // The rules can never lift it.
    await setPolicy({ rules: [rule("allow-bash", { tools: ["Bash"] }, "allow")] });
    expect(await check({ tool: "Bash" })).toMatchObject({ decision: "denied", check: "tool_not_allowed" });
  });

  it("a path outside non-empty pathScopes, or leaving the workspace, is denied", async () => {
    await owner.agent.update({ projectId, id: world.homeAgent.id, patch: { pathScopes: ["src/**", "docs/*.md"] } });
    expect(await check({ path: "src/deep/a.ts" })).toMatchObject({ decision: "allowed" });
    expect(await check({ path: "./docs/readme.md" })).toMatchObject({ decision: "allowed" });
    expect(await check({})).toMatchObject({ decision: "allowed" }); // no path: nothing to scope
    expect(await check({ path: "secrets/.env" })).toMatchObject({ decision: "denied", check: "path_outside_scope" });
    expect(await check({ path: "docs/deep/x.md" })).toMatchObject({ check: "path_outside_scope" });
    // Made relative to cwd: inside and in scope, inside and out of scope, outside the workspace.
    expect(await check({ path: "/work/ws/src/a.ts", cwd: "/work/ws" })).toMatchObject({ decision: "allowed" });
    expect(await check({ path: "/work/ws/lib/a.ts", cwd: "/work/ws" })).toMatchObject({ check: "path_outside_scope" });
    const escaped = await check({ path: "src/../../etc/passwd" });
    expect(escaped).toMatchObject({ decision: "denied", check: "path_outside_scope" });
    expect(escaped.reason).toMatch(/outside the agent's workspace/);
    expect(await check({ path: "/etc/passwd", cwd: "/work/ws" })).toMatchObject({ check: "path_outside_scope" });
    expect(await check({ path: "/work/ws/src/a.ts" })).toMatchObject({ check: "path_outside_scope" }); // no cwd
    // A cwd that is not absolute is refused, naming the field (it was ignored, so the path looked outside).
    for (const cwd of ["work/ws", "./ws", "", "C:project"]) {
      await expectTRPCError(check({ path: "/work/ws/src/a.ts", cwd }), "BAD_REQUEST", /cwd.*absolute path/);
    }
    expect(await check({ path: "C:\\ws\\src\\a.ts", cwd: "C:\\ws" })).toMatchObject({ decision: "allowed" });
  });

  it("without path scopes any path inside the workspace is allowed, but one leaving it is not", async () => {
    expect(await check({ path: "anything/at/all.txt" })).toMatchObject({ decision: "allowed" });
    expect(await check({ path: "/work/ws/x", cwd: "/work/ws" })).toMatchObject({ decision: "allowed" });
    expect(await check({ path: "../outside.txt" })).toMatchObject({ decision: "denied", check: "path_outside_scope" });
    expect(await check({ path: "/etc/passwd", cwd: "/work/ws" })).toMatchObject({ check: "path_outside_scope" });
  });

  it("cost per day: spent, or exceeded by the request's estimate, is denied; the next UTC day starts afresh", async () => {
    await owner.agent.update({ projectId, id: world.homeAgent.id, patch: { budgetCostUsdPerDay: 1 } });
    const spend = (id: string, costUsd: number) =>
      owner.ingest.report({
        projectId,
        items: [{ kind: "metric", id, agent: "home-agent", type: "cost", costUsd }],
      });
    await spend("cost-0000001", 0.6);
    expect(await check({ estimatedCostUsd: 0.4 })).toMatchObject({ decision: "allowed" });
    const over = await check({ estimatedCostUsd: 0.5 });
    expect(over).toMatchObject({ decision: "denied", check: "budget_cost_per_day" });
    expect(over.reason).toMatch(/estimated \$0\.50 would take home-agent past its \$1\.00 daily budget/);
    await spend("cost-0000002", 0.4);
    const spent = await check({});
    expect(spent).toMatchObject({ decision: "denied", check: "budget_cost_per_day" });
    expect(spent.reason).toMatch(/has spent \$1\.00 of its \$1\.00 daily budget/);
    world.clock.advance(86_400_000);
    expect(await check({ estimatedCostUsd: 0.9 })).toMatchObject({ decision: "allowed" });
  });

  it("tokens per session: a session that used its budget is denied; a new session is not", async () => {
    await owner.agent.update({ projectId, id: world.homeAgent.id, patch: { budgetTokensPerSession: 2_000 } });
    const { session } = await owner.session.start({ projectId, name: "home-agent" });
    const report = (id: string, sessionId: string, tokensIn: number) =>
      owner.ingest.report({
        projectId,
        items: [{ kind: "metric", id, agent: "home-agent", sessionId, type: "cost", tokensIn, costUsd: 0 }],
      });
    await report("tok-0000001", session.id, 1_999);
    expect(await check({ sessionId: session.id })).toMatchObject({ decision: "allowed" });
    await report("tok-0000002", session.id, 1);
    const denied = await check({ sessionId: session.id });
    expect(denied).toMatchObject({ decision: "denied", check: "budget_tokens_per_session" });
    expect(denied.reason).toContain("2,000 of its 2,000 tokens");
    // The open session counts even when the request names none.
    expect(await check({})).toMatchObject({ check: "budget_tokens_per_session" });
    const { session: next } = await owner.session.start({ projectId, name: "home-agent" });
    expect(await check({ sessionId: next.id })).toMatchObject({ decision: "allowed" });
  });

  it("refuses a sessionId that is not one of the agent's sessions, which the audit row would name", async () => {
    const other = await owner.agent.create({ projectId, name: "other-agent", role: "coder" });
    const { session: theirs } = await owner.session.start({ projectId, name: other.name });
    for (const sessionId of [theirs.id, "made-up-session"]) {
      await expectTRPCError(
        check({ sessionId }),
        "BAD_REQUEST",
        new RegExp(`^sessionId: "${sessionId}" is not a session of home-agent: send the id session.start gave it`),
      );
    }
    const { session: own } = await owner.session.start({ projectId, name: "home-agent" });
    await owner.session.end({ projectId, sessionId: own.id });
    // An ended session is still the agent's (a check made as it stops).
    expect(await check({ sessionId: own.id })).toMatchObject({ decision: "allowed" });
  });

  it("the checks run in order: unknown, disabled, tool, path, budget", async () => {
    await owner.agent.update({
      projectId,
      id: world.homeAgent.id,
      patch: { allowedTools: ["Read"], pathScopes: ["src/**"], budgetCostUsdPerDay: 1 },
    });
    await owner.ingest.report({
      projectId,
      items: [{ kind: "metric", id: "order-000001", agent: "home-agent", type: "cost", costUsd: 5 }],
    });
    expect(await check({ tool: "Bash", path: "etc/x" })).toMatchObject({ check: "tool_not_allowed" });
    expect(await check({ tool: "Read", path: "etc/x" })).toMatchObject({ check: "path_outside_scope" });
    expect(await check({ tool: "Read", path: "src/x" })).toMatchObject({ check: "budget_cost_per_day" });
    await owner.agent.setEnabled({ projectId, id: world.homeAgent.id, enabled: false });
    expect(await check({ tool: "Bash", path: "etc/x" })).toMatchObject({ check: "agent_disabled" });
  });
});

describe("rules", () => {
  /** An agent with a role, tags and (optionally) a team of its own, to match rules against. */
  async function agentWith(name: string, role: string, tags: string[], teamName?: string) {
    const agent = await owner.agent.create({ projectId, name, role, tags });
    if (teamName) {
      const team = await owner.team.create({ projectId, name: teamName, roleMix: { [role]: 1 } });
      await owner.team.activate({ projectId, id: team.id });
    }
    return agent;
  }

  it("each match field, alone: a list matches any of its items", async () => {
    await agentWith("alice", "builder", ["prod", "west"], "Blue");
    await agentWith("bob", "reviewer", []);
    await setPolicy({
      rules: [
        rule("by-agent", { agents: ["bob", "zed"] }),
        rule("by-role", { roles: ["builder"], operations: ["role_probe"] }),
        rule("by-tag", { tags: ["east", "prod"], operations: ["tag_probe"] }),
        rule("by-team", { teams: ["Red", "Blue"], operations: ["team_probe"] }),
        rule("by-tool", { tools: ["Bash", "mcp__*"] }),
        rule("by-operation", { operations: ["api_call", "agent_spawn"] }),
        rule("by-path", { paths: ["**/.env", "secrets/**"] }),
        rule("by-cost", { costAbove: 5 }),
      ],
    });
    const ruleOf = async (input: Partial<PolicyCheckInput>) => (await check(input)).ruleId;
    expect(await ruleOf({ agent: "bob" })).toBe("by-agent");
    expect(await ruleOf({ agent: "alice" })).toBeNull();
    expect(await ruleOf({ agent: "alice", operation: "role_probe" })).toBe("by-role");
    expect(await ruleOf({ operation: "role_probe" })).toBeNull(); // home-agent is a coder
    expect(await ruleOf({ agent: "alice", operation: "tag_probe" })).toBe("by-tag");
    expect(await ruleOf({ operation: "tag_probe" })).toBeNull(); // no tags
    expect(await ruleOf({ agent: "alice", operation: "team_probe" })).toBe("by-team");
    expect(await ruleOf({ operation: "team_probe" })).toBeNull(); // no team
    expect(await ruleOf({ tool: "Bash" })).toBe("by-tool");
    expect(await ruleOf({ tool: "mcp__github__create" })).toBe("by-tool");
    expect(await ruleOf({ tool: "Bashful" })).toBeNull();
    expect(await ruleOf({ operation: "api_call" })).toBe("by-operation");
    expect(await ruleOf({ operation: "file_access" })).toBeNull();
    expect(await ruleOf({ path: "src/app/.env" })).toBe("by-path");
    expect(await ruleOf({ path: ".env" })).toBe("by-path");
    expect(await ruleOf({ path: "/w/secrets/key.pem", cwd: "/w" })).toBe("by-path");
    expect(await ruleOf({ path: "src/env.ts" })).toBeNull();
    expect(await ruleOf({})).toBeNull(); // no path never matches paths
    expect(await ruleOf({ estimatedCostUsd: 5.01 })).toBe("by-cost");
    expect(await ruleOf({ estimatedCostUsd: 5 })).toBeNull(); // above, not at
    expect(await ruleOf({})).toBeNull(); // no estimate never matches costAbove
  });

  it("every given field must match; the first matching rule wins; otherwise the default", async () => {
    await setPolicy({
      defaultEffect: "deny",
      defaultReason: "Closed by default",
      rules: [
        rule("prod-writes", { tools: ["Write"], paths: ["prod/**"], operations: ["tool_use"] }, "require_approval"),
        rule("writes", { tools: ["Write"] }, "allow"),
        rule("reads", { tools: ["Read"] }, "allow"),
        rule("shadowed", { tools: ["Read"], paths: ["**"] }, "deny"),
      ],
    });
    expect(await tryIt({ tool: "Write", path: "prod/db.sql" })).toMatchObject({
      decision: "requires_approval",
      ruleId: "prod-writes",
      ruleIndex: 0,
    });
    // One field short of the first rule: the second one decides.
    expect(await tryIt({ tool: "Write", path: "prod/db.sql", operation: "file_access" })).toMatchObject({
      decision: "allowed",
      ruleId: "writes",
      ruleIndex: 1,
    });
    expect(await tryIt({ tool: "Write", path: "dev/db.sql" })).toMatchObject({ ruleId: "writes" });
    expect(await tryIt({ tool: "Read", path: "x" })).toMatchObject({
      decision: "allowed",
      ruleId: "reads",
      ruleIndex: 2,
    });
    expect(await tryIt({ tool: "Bash" })).toMatchObject({
      decision: "denied",
      source: "default",
      ruleId: null,
      ruleIndex: null,
      reason: "Closed by default",
      policyVersion: 1,
    });
  });

  it("tool and path patterns mean what picomatch says: negation, escapes and ./ included", async () => {
    await setPolicy({
      rules: [
        rule("all-but-read", { tools: ["!Read"], operations: ["probe"] }),
        rule("literal-star", { tools: ["a\\*b"] }),
        rule("dotted-path", { paths: ["./conf/app.yaml"] }),
      ],
    });
    const ruleOf = async (input: Partial<PolicyCheckInput>) => (await tryIt(input)).ruleId;
    expect(await ruleOf({ tool: "Bash", operation: "probe" })).toBe("all-but-read");
    expect(await ruleOf({ tool: "Read", operation: "probe" })).toBeNull();
    expect(await ruleOf({ tool: "a*b" })).toBe("literal-star");
    expect(await ruleOf({ tool: "axxb" })).toBeNull();
    expect(await ruleOf({ path: "conf/app.yaml" })).toBe("dotted-path");
    // The same in an agent's allowed tools.
    await owner.agent.update({ projectId, id: world.homeAgent.id, patch: { allowedTools: ["!Bash"] } });
    expect(await check({ tool: "Read" })).toMatchObject({ decision: "allowed" });
    expect(await check({ tool: "Bash" })).toMatchObject({ decision: "denied", check: "tool_not_allowed" });
  });

  it("policy.try records nothing and creates no approval", async () => {
    await setPolicy({ rules: [rule("ask", { tools: ["Bash"] }, "require_approval")] });
    const before = world.sqlite.prepare("select count(*) as n from audit_events").get();
    expect(await tryIt({ tool: "Bash", path: "./a/../b.txt" })).toMatchObject({
      decision: "requires_approval",
      approvalId: null,
      path: "b.txt",
    });
    await flushDecisions(world.deps);
    expect(world.sqlite.prepare("select count(*) as n from audit_events").get()).toEqual(before);
    expect(world.sqlite.prepare("select count(*) as n from approvals").get()).toEqual({ n: 0 });
  });
});

describe("decisions in the audit trail", () => {
  it("every decision is a policy.check row with its rule, version and input hash; the chain verifies", async () => {
    await setPolicy({
      rules: [
        rule("no-rm", { tools: ["Bash"], operations: ["shell"] }, "deny"),
        rule("ask-deploy", { tools: ["Deploy"] }, "require_approval"),
      ],
    });
    const allowed = await check({ tool: "Read", path: "src/a.ts", input: { file: "a" } });
    const denied = await check({ tool: "Bash", operation: "shell", input: { command: "rm -rf /" } });
    const asked = await check({ tool: "Deploy", input: { env: "prod" } });
    const unknown = await check({ agent: "ghost" });
    // The approval's row is committed with it, before the answer; the others after the flush.
    expect(decisionRows().map((row) => row.decision)).toEqual(["requires_approval"]);
    await flushDecisions(world.deps);
    const rows = decisionRows();
    expect(rows.map((row) => row.decision).sort()).toEqual(["allowed", "denied", "denied", "requires_approval"]);
    const byHash = (hash: string) => rows.find((row) => row.detail.inputHash === hash);
    // Asked by a signed-in person on the agent's behalf: the row is theirs, about the agent.
    expect(byHash(allowed.inputHash)).toMatchObject({
      decision: "allowed",
      target: "Read",
      actor_type: "user",
      actor_name: "Olivia Owner",
      agent_id: world.homeAgent.id,
      detail: {
        agent: "home-agent",
        askedBy: { name: "Olivia Owner" },
        source: "default",
        ruleId: null,
        policyVersion: 1,
        path: "src/a.ts",
        operation: "tool_use",
      },
    });
    expect(byHash(denied.inputHash)).toMatchObject({
      decision: "denied",
      detail: { source: "rule", ruleId: "no-rm", policyVersion: 1, reason: "rule no-rm" },
    });
    expect(byHash(asked.inputHash)).toMatchObject({
      decision: "requires_approval",
      detail: { ruleId: "ask-deploy", policyVersion: 1, approvalId: asked.approvalId },
    });
    expect(byHash(unknown.inputHash)).toMatchObject({ decision: "denied", detail: { check: "agent_unknown" } });
    expect(await owner.audit.verify({ projectId })).toMatchObject({ intact: true });
  });

  it("the input hash ignores key order and binds agent, tool, operation, path and input", async () => {
    const a = await check({ tool: "Bash", path: "./src/a.ts", input: { x: 1, y: { b: 2, a: 1 } } });
    const b = await check({ tool: "Bash", path: "src/a.ts", input: { y: { a: 1, b: 2 }, x: 1 } });
    expect(a.inputHash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.inputHash).toBe(a.inputHash);
    const others = await Promise.all([
      check({ tool: "Bash", path: "src/a.ts", input: { x: 2, y: { a: 1, b: 2 } } }),
      check({ tool: "Bash", path: "src/b.ts", input: { x: 1, y: { a: 1, b: 2 } } }),
      check({ tool: "Read", path: "src/a.ts", input: { x: 1, y: { a: 1, b: 2 } } }),
      check({ tool: "Bash", operation: "shell", path: "src/a.ts", input: { x: 1, y: { a: 1, b: 2 } } }),
    ]);
    expect(new Set([a.inputHash, ...others.map((d) => d.inputHash)]).size).toBe(5);
  });

  it("an agent key checks as its own agents only", async () => {
    const agentKey = world.as({ apiKey: world.keys.agent.secret });
    await owner.agent.create({ projectId, name: "other-agent", role: "coder" });
    expect(await agentKey.policy.check({ agent: "home-agent", tool: "Read" })).toMatchObject({ decision: "allowed" });
    await expectTRPCError(agentKey.policy.check({ agent: "other-agent", tool: "Read" }), "FORBIDDEN");
    await flushDecisions(world.deps);
    const rows = decisionRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.detail).toMatchObject({ reportedWith: world.keys.agent.prefix });
  });
});
