/**
 * Agents are not operators: an agent key runs its own agents and nothing else. It cannot act as
 * another agent, widen its own profile, or undo what a person stopped; a manage key (automation)
 * can stop agents but not bring them back. Profile changes and replaced sessions are audited with
 * the key that made them.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  agentRow,
  callerWithSignal,
  createKey,
  createWorld,
  expectTRPCError,
  reader,
  type World,
} from "../test-fixtures";

const PROJECT_NAME = "Olivia Owner's project";

let world: World;
let projectId: string;
beforeEach(async () => {
  world = await createWorld();
  projectId = world.projectId;
});
afterEach(() => world.close());

/** The world's agent key, bound to home-agent. */
const agentKey = () => world.as({ apiKey: world.keys.agent.secret });
const owner = () => world.users.owner.caller;
const auditRows = (operation: string) =>
  world.sqlite
    .prepare("select actor_type, actor_name, target, detail from audit_events where project_id = ? and operation = ?")
    .all(projectId, operation) as { actor_type: string; actor_name: string; target: string; detail: string }[];

describe("an agent key runs its own agent", () => {
  it("starts, heartbeats, reports, reads itself, follows its changes and ends its session", async () => {
    const key = agentKey();
    const { session, agent, warnings } = await key.session.start({ name: "home-agent" });
    expect(warnings).toEqual([]);
    expect(await key.session.heartbeat({ sessionId: session.id, status: "busy" })).toEqual({
      ok: true,
      status: "busy",
    });
    expect(await key.session.report({ sessionId: session.id, success: true, executionMs: 5 })).toMatchObject({
      ok: true,
    });
    const report = await key.ingest.report({
      items: [{ kind: "event", id: "own-event-1", agent: "home-agent", operation: "tool_use" }],
    });
    expect(report).toMatchObject({ stored: 1, rejected: 0 });
    // The row says which key reported it, beside the agent.
    const [event] = auditRows("tool_use");
    expect(event).toMatchObject({ actor_type: "agent", actor_name: "home-agent" });
    expect(JSON.parse(event!.detail)).toEqual({ reportedWith: world.keys.agent.prefix });
    expect(await key.agent.byName({ name: "home-agent" })).toMatchObject({ id: agent.id });
    expect(await key.agent.byId({ id: agent.id })).toMatchObject({ name: "home-agent" });
    const controller = new AbortController();
    const follow = callerWithSignal(world.deps, { apiKey: world.keys.agent.secret }, controller.signal);
    const { lastEventId } = await owner().agent.list({ projectId, limit: 1 });
    const changes = reader(await follow.agent.onChange({ agentId: agent.id, lastEventId }));
    await owner().agent.setEnabled({ projectId, id: agent.id, enabled: false });
    expect((await changes.next()).data).toMatchObject({ op: "updated", data: { status: "disabled" } });
    controller.abort();
    // Disabling ended the session; ending it again is harmless.
    expect(await key.session.end({ sessionId: session.id })).toEqual({ ok: true });
  });

  it("cannot act as any other agent: start, heartbeat, end, report, read or follow", async () => {
    const key = agentKey();
    const other = await owner().agent.create({ projectId, name: "other-agent", role: "coder" });
    const { session } = await owner().session.start({ projectId, name: "other-agent" });
    const refused = /This agent key cannot act as "other-agent"; it runs home-agent/;
    await expectTRPCError(key.session.start({ name: "other-agent" }), "FORBIDDEN", refused);
    await expectTRPCError(key.session.heartbeat({ sessionId: session.id }), "FORBIDDEN", refused);
    await expectTRPCError(
      key.session.report({ sessionId: session.id, success: true, executionMs: 1 }),
      "FORBIDDEN",
      refused,
    );
    await expectTRPCError(key.session.end({ sessionId: session.id }), "FORBIDDEN", refused);
    await expectTRPCError(key.agent.byName({ name: "other-agent" }), "FORBIDDEN", refused);
    await expectTRPCError(key.agent.byId({ id: other.id }), "FORBIDDEN", refused);
    await expectTRPCError(key.agent.onChange({ lastEventId: null }), "FORBIDDEN", /pass its agentId/);
    await expectTRPCError(key.agent.onChange({ agentId: other.id, lastEventId: null }), "FORBIDDEN", refused);
    await expectTRPCError(key.agent.list({}), "FORBIDDEN", /can only run its agents \(home-agent\)/);
    const report = await key.ingest.report({
      items: [
        { kind: "event", id: "as-other-1", agent: "other-agent", operation: "tool_use" },
        { kind: "event", id: "as-self-01", agent: "home-agent", operation: "tool_use" },
      ],
    });
    expect(report.results).toEqual([
      {
        id: "as-other-1",
        status: "rejected",
        reason: 'agent: this key cannot report as "other-agent"; it runs home-agent',
      },
      { id: "as-self-01", status: "stored" },
    ]);
    // The other agent's session is untouched.
    expect(world.sqlite.prepare("select ended_at from agent_sessions where id = ?").get(session.id)).toEqual({
      ended_at: null,
    });
  });
});

describe("an agent key cannot widen its own profile", () => {
  it("ignores the tools, path scopes, budgets and role it sends, says so, and applies the rest (audited)", async () => {
    await owner().agent.update({
      projectId,
      id: world.homeAgent.id,
      patch: { allowedTools: ["web.search"], pathScopes: ["notes/**"], budgetCostUsdPerDay: 5 },
    });
    const { agent, warnings } = await agentKey().session.start({
      name: "home-agent",
      profile: {
        role: "admin",
        allowedTools: ["*"],
        pathScopes: ["**"],
        budgetCostUsdPerDay: null,
        budgetTokensPerSession: 1e9,
        description: "now with a better description",
      },
    });
    expect(warnings).toEqual([
      "role was not changed: an agent key cannot change its agent's role; an operator can",
      "allowedTools was not changed: an agent key cannot change its agent's allowedTools; an operator can",
      "pathScopes was not changed: an agent key cannot change its agent's pathScopes; an operator can",
      "budgetTokensPerSession was not changed: an agent key cannot change its agent's budgetTokensPerSession; an operator can",
      "budgetCostUsdPerDay was not changed: an agent key cannot change its agent's budgetCostUsdPerDay; an operator can",
    ]);
    expect(agent).toMatchObject({
      role: "coder",
      allowedTools: ["web.search"],
      pathScopes: ["notes/**"],
      budgetCostUsdPerDay: 5,
      budgetTokensPerSession: null,
      description: "now with a better description",
    });
    const [row] = auditRows("agent.profile");
    expect(row).toMatchObject({ actor_type: "apiKey", target: "home-agent" });
    expect(row!.actor_name).toMatch(/^key home agent's key \(tower_[\w-]{6}…\)$/);
    expect(JSON.parse(row!.detail)).toEqual({
      changes: { description: { from: "at home", to: "now with a better description" } },
      via: "session.start",
    });
  });

  it("a manage key (an operator) may change the profile; the change is audited", async () => {
    const manage = world.as({ apiKey: world.keys.manage.secret });
    const { agent, warnings } = await manage.session.start({
      name: "home-agent",
      profile: { role: "coder", allowedTools: ["*"] },
    });
    expect(warnings).toEqual([]);
    expect(agent.allowedTools).toEqual(["*"]);
    expect(JSON.parse(auditRows("agent.profile")[0]!.detail)).toEqual({
      changes: { allowedTools: { from: [], to: ["*"] } },
      via: "session.start",
    });
  });

  it("registers its agent the first time, where the project allows it, and never otherwise", async () => {
    const key = await createKey(owner(), projectId, ["agent"], "newcomer key", ["newcomer", "late"]);
    const newcomer = world.as({ apiKey: key.secret });
    const { agent } = await newcomer.session.start({
      name: "newcomer",
      profile: { role: "scout", allowedTools: ["*"] },
    });
    expect(agent).toMatchObject({ name: "newcomer", role: "scout", allowedTools: ["*"] });
    expect(auditRows("agent.register")).toEqual([
      expect.objectContaining({ actor_type: "apiKey", target: "newcomer" }),
    ]);
    await expectTRPCError(
      newcomer.session.start({ name: "late" }),
      "NOT_FOUND",
      /Agent "late" not found; register it or pass a profile/,
    );
    expect(await owner().project.updateSettings({ projectId, agentSelfRegistration: false })).toEqual({
      agentSelfRegistration: false,
    });
    await expectTRPCError(
      newcomer.session.start({ name: "late", profile: { role: "scout" } }),
      "FORBIDDEN",
      /does not let agents register themselves/,
    );
    await expectTRPCError(agentKey().project.updateSettings({ agentSelfRegistration: true }), "FORBIDDEN");
  });

  it("a session replaced by a second process is audited, with the key", async () => {
    const first = await agentKey().session.start({ name: "home-agent" });
    const second = await agentKey().session.start({ name: "home-agent" });
    const [row] = auditRows("session.replace");
    expect(row).toMatchObject({ actor_type: "apiKey", target: "home-agent" });
    expect(JSON.parse(row!.detail)).toMatchObject({ replaced: first.session.id });
    expect(second.session.id).not.toBe(first.session.id);
  });
});

describe("nothing but a person undoes a stop", () => {
  it("after the kill switch, neither the agent key nor a manage key can enable agents again; a person can", async () => {
    const team = await owner().team.create({ projectId, name: "crew", roleMix: { coder: 1 } });
    await owner().fleet.deactivateAll({ projectId, confirm: PROJECT_NAME });
    const id = world.homeAgent.id;
    for (const key of [agentKey(), world.as({ apiKey: world.keys.manage.secret })]) {
      await expectTRPCError(key.agent.setEnabled({ id, enabled: true }), "FORBIDDEN");
      await expectTRPCError(key.fleet.activateAll({}), "FORBIDDEN");
      await expectTRPCError(key.team.activate({ id: team.id }), "FORBIDDEN");
    }
    await expectTRPCError(agentKey().session.start({ name: "home-agent" }), "FORBIDDEN", /is disabled/);
    await expectTRPCError(agentKey().fleet.deactivateAll({ confirm: PROJECT_NAME }), "FORBIDDEN");
    expect(agentRow(world.deps, id)?.status).toBe("disabled");
    // A manage key may still stop an agent; an admin key an owner chose may bring one back.
    await world.as({ apiKey: world.keys.admin.secret }).agent.setEnabled({ id, enabled: true });
    expect(agentRow(world.deps, id)?.status).toBe("offline");
    await world.as({ apiKey: world.keys.manage.secret }).agent.setEnabled({ id, enabled: false });
    expect(agentRow(world.deps, id)?.status).toBe("disabled");
    await owner().agent.setEnabled({ projectId, id, enabled: true });
    expect(agentRow(world.deps, id)?.status).toBe("offline");
  });
});
