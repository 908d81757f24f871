import { agentSessions } from "@tower/db";
import type { Team, TeamMember } from "@tower/shared";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  agentRow,
  callerWithSignal,
  createWorld,
  errorShape,
  expectTRPCError,
  reader,
  type TestCaller,
  type World,
} from "../test-fixtures";

let world: World;
let owner: TestCaller;
let operator: TestCaller;
let sdk: TestCaller;
let projectId: string;
const controllers: AbortController[] = [];

beforeEach(async () => {
  world = await createWorld();
  owner = world.users.owner.caller;
  operator = world.users.operator.caller;
  sdk = world.as({ apiKey: world.keys.manage.secret });
  projectId = world.projectId;
});
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort();
  world.close();
});

const names = (members: TeamMember[]) => members.map((m) => m.name).sort();
const latest = async () => Number((await owner.agent.list({ projectId, limit: 1 })).lastEventId);
const agentEventsSince = (lastEventId: number) =>
  (
    world.sqlite
      .prepare("select count(*) as n from changes where project_id = ? and entity = 'agent' and id > ?")
      .get(projectId, lastEventId) as { n: number }
  ).n;

describe("team CRUD", () => {
  it("create stores the team inactive with its size; list and byId return it", async () => {
    world.clock.advance(1_000);
    const team = await operator.team.create({ projectId, name: " Alpha ", roleMix: { researcher: 3, reviewer: 1 } });
    expect(team).toEqual({
      id: expect.any(String),
      projectId,
      name: "Alpha",
      description: "",
      roleMix: { researcher: 3, reviewer: 1 },
      size: 4,
      active: false,
      members: [],
      createdAt: world.clock.now(),
      updatedAt: world.clock.now(),
    } satisfies Team);
    const beta = await owner.team.create({ projectId, name: "Beta", description: "b", roleMix: { coder: 1 } });
    expect(await world.users.viewer.caller.team.list({ projectId })).toEqual([team, beta]);
    expect(await world.users.viewer.caller.team.byId({ projectId, id: team.id })).toEqual(team);
    // Teams belong to their project.
    expect(await world.users.foreignOwner.caller.team.list({ projectId: world.foreignProjectId })).toEqual([]);
    await expectTRPCError(
      world.users.foreignOwner.caller.team.byId({ projectId: world.foreignProjectId, id: team.id }),
      "NOT_FOUND",
    );
  });

  it("a duplicate name is a CONFLICT on name, on create and on rename", async () => {
    const alpha = await owner.team.create({ projectId, name: "Alpha", roleMix: { a: 1 } });
    const beta = await owner.team.create({ projectId, name: "Beta", roleMix: { a: 1 } });
    await expectTRPCError(owner.team.create({ projectId, name: "Alpha", roleMix: { b: 2 } }), "CONFLICT", /^name:/);
    await expectTRPCError(
      owner.team.update({ projectId, id: beta.id, patch: { name: "Alpha" } }),
      "CONFLICT",
      /^name:/,
    );
    expect((await owner.team.list({ projectId })).map((t) => t.name)).toEqual(["Alpha", "Beta"]);
    // Renaming to its own name is fine; another project may reuse the name.
    await owner.team.update({ projectId, id: alpha.id, patch: { name: "Alpha", description: "same" } });
    await world.users.foreignOwner.caller.team.create({
      projectId: world.foreignProjectId,
      name: "Alpha",
      roleMix: { a: 1 },
    });
  });

  it.each([
    ["an empty mix", {}],
    ["a zero count", { researcher: 0 }],
    ["a negative count", { researcher: -1 }],
    ["a fractional count", { researcher: 1.5 }],
  ])("a role mix with %s is BAD_REQUEST naming roleMix, on create and update", async (_label, roleMix) => {
    const created = await expectTRPCError(
      owner.team.create({ projectId, name: "Bad", roleMix } as never),
      "BAD_REQUEST",
    );
    expect(errorShape(created).message).toMatch(/^Invalid input: roleMix(\.\w+)?: /);
    expect(await owner.team.list({ projectId })).toEqual([]);

    const team = await owner.team.create({ projectId, name: "Good", roleMix: { researcher: 1 } });
    const updated = await expectTRPCError(
      owner.team.update({ projectId, id: team.id, patch: { roleMix } } as never),
      "BAD_REQUEST",
    );
    expect(errorShape(updated).message).toMatch(/^Invalid input: patch\.roleMix(\.\w+)?: /);
    expect((await owner.team.byId({ projectId, id: team.id })).roleMix).toEqual({ researcher: 1 });
  });

  it("update changes only the given fields", async () => {
    const team = await owner.team.create({ projectId, name: "Alpha", description: "keep", roleMix: { a: 1 } });
    world.clock.advance(10);
    const updated = await operator.team.update({ projectId, id: team.id, patch: { roleMix: { a: 2, b: 1 } } });
    expect(updated).toEqual({ ...team, roleMix: { a: 2, b: 1 }, size: 3, updatedAt: team.updatedAt + 10 });
    expect(await owner.team.byId({ projectId, id: team.id })).toEqual(updated);
    await expectTRPCError(owner.team.update({ projectId, id: "nope", patch: { description: "x" } }), "NOT_FOUND");
  });
});

describe("team activation", () => {
  /**
   * Researchers whose name order is the opposite of their readiness, so the pick order shows:
   * one idle, one offline, two disabled, one in error; the only reviewer is in another team.
   */
  async function fleet() {
    const make = (name: string, role: string) => owner.agent.create({ projectId, name, role });
    const disabledA = await make("r-a-disabled", "researcher");
    const disabledB = await make("r-b-disabled", "researcher");
    const broken = await make("r-0-error", "researcher");
    const offline = await make("r-y-offline", "researcher");
    const idle = await make("r-z-idle", "researcher");
    await owner.agent.setEnabled({ projectId, id: disabledA.id, enabled: false });
    await owner.agent.setEnabled({ projectId, id: disabledB.id, enabled: false });
    world.sqlite.prepare("update agents set status = 'error' where id = ?").run(broken.id);
    const session = await sdk.session.start({ name: idle.name });
    const reviewer = await make("rev-1", "reviewer");
    const other = await owner.team.create({ projectId, name: "Other", roleMix: { reviewer: 1 } });
    await owner.team.activate({ projectId, id: other.id });
    expect(agentRow(world.deps, reviewer.id)?.teamId).toBe(other.id);
    // A researcher in another project is never recruited.
    const abroad = await world.users.foreignOwner.caller.agent.create({
      projectId: world.foreignProjectId,
      name: "r-abroad",
      role: "researcher",
    });
    const team = await owner.team.create({ projectId, name: "Alpha", roleMix: { researcher: 3, reviewer: 1 } });
    return { disabledA, disabledB, broken, offline, idle, session, reviewer, other, abroad, team };
  }

  it("recruits free agents idle first, then offline, then disabled, and reports the shortfall", async () => {
    const f = await fleet();
    const report = await operator.team.activate({ projectId, id: f.team.id });
    expect(names(report.changed)).toEqual(["r-a-disabled", "r-y-offline", "r-z-idle"]);
    expect(report.unchanged).toEqual([]);
    expect(report.shortfall).toEqual([{ role: "reviewer", wanted: 1, found: 0 }]);
    expect(report.team).toMatchObject({ active: true });
    expect(names(report.team.members)).toEqual(["r-a-disabled", "r-y-offline", "r-z-idle"]);
    expect(report.changed.every((m) => m.status !== "disabled")).toBe(true);

    expect(agentRow(world.deps, f.disabledA.id)).toMatchObject({ status: "offline", teamId: f.team.id });
    expect(agentRow(world.deps, f.offline.id)).toMatchObject({ status: "offline", teamId: f.team.id });
    expect(agentRow(world.deps, f.idle.id)).toMatchObject({ status: "idle", teamId: f.team.id });
    expect(agentRow(world.deps, f.disabledB.id)).toMatchObject({ status: "disabled", teamId: null });
    expect(agentRow(world.deps, f.broken.id)).toMatchObject({ status: "error", teamId: null });
    expect(agentRow(world.deps, f.reviewer.id)?.teamId).toBe(f.other.id);
    expect(agentRow(world.deps, f.abroad.id)?.teamId).toBeNull();
    // The idle member's session goes on.
    expect(
      world.deps.db.select().from(agentSessions).where(eq(agentSessions.id, f.session.session.id)).get()?.endedAt,
    ).toBeNull();

    const listed = await owner.agent.list({ projectId, teamId: f.team.id });
    expect(listed.items.map((a) => a.name)).toEqual(["r-a-disabled", "r-y-offline", "r-z-idle"]);
    expect((await owner.agent.list({ projectId, teamId: f.other.id })).items.map((a) => a.name)).toEqual(["rev-1"]);
  });

  it("activating again changes nothing and keeps the same members", async () => {
    const f = await fleet();
    const first = await owner.team.activate({ projectId, id: f.team.id });
    const before = await latest();
    const second = await owner.team.activate({ projectId, id: f.team.id });
    expect(second.changed).toEqual([]);
    expect(names(second.unchanged)).toEqual(names(first.changed));
    expect(second.team.members).toEqual(first.team.members);
    expect(second.shortfall).toEqual(first.shortfall);
    expect(agentEventsSince(before)).toBe(0);
  });

  it("deactivating disables the members, ends their sessions and keeps them; re-activating brings them back", async () => {
    const f = await fleet();
    const activated = await owner.team.activate({ projectId, id: f.team.id });
    const members = names(activated.team.members);

    const off = await operator.team.deactivate({ projectId, id: f.team.id });
    expect(off.team.active).toBe(false);
    expect(names(off.changed)).toEqual(members);
    expect(off.team.members.map((m) => m.status)).toEqual(["disabled", "disabled", "disabled"]);
    expect(names(off.team.members)).toEqual(members);
    expect(agentRow(world.deps, f.idle.id)).toMatchObject({ status: "disabled", teamId: f.team.id });
    expect(
      world.deps.db.select().from(agentSessions).where(eq(agentSessions.id, f.session.session.id)).get(),
    ).toMatchObject({ endReason: "disabled" });
    await expectTRPCError(sdk.session.heartbeat({ sessionId: f.session.session.id }), "FORBIDDEN", /is disabled/);
    // The other team is untouched.
    expect(agentRow(world.deps, f.reviewer.id)?.status).toBe("offline");
    expect((await owner.team.byId({ projectId, id: f.other.id })).active).toBe(true);

    const on = await owner.team.activate({ projectId, id: f.team.id });
    expect(on.team.active).toBe(true);
    expect(names(on.changed)).toEqual(members);
    expect(names(on.team.members)).toEqual(members);
    expect(on.team.members.every((m) => m.status === "offline")).toBe(true);
    expect(agentRow(world.deps, f.disabledB.id)).toMatchObject({ status: "disabled", teamId: null });
  });

  it("shrinking the mix releases the extra member as it is", async () => {
    const f = await fleet();
    await owner.team.activate({ projectId, id: f.team.id });
    await owner.team.update({ projectId, id: f.team.id, patch: { roleMix: { researcher: 2, reviewer: 1 } } });
    const report = await owner.team.activate({ projectId, id: f.team.id });
    expect(report.team.members).toHaveLength(2);
    expect(report.changed).toEqual([]);
    expect(report.unchanged).toHaveLength(2);
    const released = [f.disabledA, f.offline, f.idle].filter((a) => agentRow(world.deps, a.id)?.teamId === null);
    expect(released).toHaveLength(1);
    // Released, not disabled: it keeps working on its own.
    expect(agentRow(world.deps, released[0]!.id)?.status).not.toBe("disabled");
    expect(names(report.team.members)).not.toContain(released[0]!.name);
  });

  it("growing the mix recruits more", async () => {
    const f = await fleet();
    await owner.team.update({ projectId, id: f.team.id, patch: { roleMix: { researcher: 1 } } });
    expect(names((await owner.team.activate({ projectId, id: f.team.id })).changed)).toEqual(["r-z-idle"]);
    await owner.team.update({ projectId, id: f.team.id, patch: { roleMix: { researcher: 5 } } });
    const report = await owner.team.activate({ projectId, id: f.team.id });
    expect(names(report.unchanged)).toEqual(["r-z-idle"]);
    expect(names(report.changed)).toEqual(["r-a-disabled", "r-b-disabled", "r-y-offline"]);
    // The agent in error is never recruited.
    expect(report.shortfall).toEqual([{ role: "researcher", wanted: 5, found: 4 }]);
  });

  it("delete is admin-only; the members leave the team and keep their state", async () => {
    const f = await fleet();
    await owner.team.activate({ projectId, id: f.team.id });
    await expectTRPCError(operator.team.delete({ projectId, id: f.team.id }), "FORBIDDEN");
    expect((await owner.team.byId({ projectId, id: f.team.id })).members).toHaveLength(3);

    expect(await world.users.admin.caller.team.delete({ projectId, id: f.team.id })).toEqual({ id: f.team.id });
    await expectTRPCError(owner.team.byId({ projectId, id: f.team.id }), "NOT_FOUND");
    expect(agentRow(world.deps, f.idle.id)).toMatchObject({ teamId: null, status: "idle" });
    expect(agentRow(world.deps, f.offline.id)).toMatchObject({ teamId: null, status: "offline" });
    expect(agentRow(world.deps, f.disabledA.id)).toMatchObject({ teamId: null, status: "offline" });
    expect(agentRow(world.deps, f.reviewer.id)?.teamId).toBe(f.other.id);
    expect((await owner.agent.list({ projectId, teamId: f.team.id })).items).toEqual([]);
    await expectTRPCError(world.users.admin.caller.team.delete({ projectId, id: f.team.id }), "NOT_FOUND");
  });

  it("activate and deactivate of an unknown or foreign team are NOT_FOUND", async () => {
    const foreign = await world.users.foreignOwner.caller.team.create({
      projectId: world.foreignProjectId,
      name: "Theirs",
      roleMix: { coder: 1 },
    });
    await expectTRPCError(owner.team.activate({ projectId, id: foreign.id }), "NOT_FOUND");
    await expectTRPCError(owner.team.deactivate({ projectId, id: foreign.id }), "NOT_FOUND");
    await expectTRPCError(owner.team.delete({ projectId, id: foreign.id }), "NOT_FOUND");
    expect(agentRow(world.deps, world.foreignAgent.id)?.teamId).toBeNull();
    expect(
      await world.users.foreignOwner.caller.team.byId({ projectId: world.foreignProjectId, id: foreign.id }),
    ).toMatchObject({ active: false });
  });

  it("team.onChange streams created, updated and deleted", async () => {
    const before = String(await latest());
    const controller = new AbortController();
    controllers.push(controller);
    const caller = callerWithSignal(world.deps, { sessionToken: world.users.viewer.token }, controller.signal);
    const stream = reader(await caller.team.onChange({ projectId, lastEventId: before }));

    const team = await owner.team.create({ projectId, name: "Streamed", roleMix: { coder: 1 } });
    await owner.agent.create({ projectId, name: "not-a-team-event", role: "reviewer" });
    const updated = await owner.team.update({ projectId, id: team.id, patch: { description: "changed" } });
    await world.users.foreignOwner.caller.team.create({
      projectId: world.foreignProjectId,
      name: "Elsewhere",
      roleMix: { coder: 1 },
    });
    await world.users.admin.caller.team.delete({ projectId, id: team.id });

    const events = await stream.take(3);
    expect(events.map((e) => [e.data.entity, e.data.op])).toEqual([
      ["team", "created"],
      ["team", "updated"],
      ["team", "deleted"],
    ]);
    expect(events[0]!.data.data).toEqual(team);
    expect(events[1]!.data.data).toEqual(updated);
    expect(events[2]!.data.data).toEqual({ id: team.id, name: "Streamed" });
    expect(events.every((e) => e.data.projectId === projectId)).toBe(true);
    expect(await stream.nextOrTimeout()).toBe("timeout");
  });
});

describe("team mix changes", () => {
  it("releases the members of a role removed from the mix on the next activation", async () => {
    const world = await createWorld();
    const owner = world.as({ sessionToken: world.users.owner.token });
    const projectId = world.projectId;
    await owner.agent.create({ projectId, name: "mix-researcher", role: "researcher" });
    const reviewer = await owner.agent.create({ projectId, name: "mix-reviewer", role: "reviewer" });
    const team = await owner.team.create({ projectId, name: "mix", roleMix: { researcher: 1, reviewer: 1 } });
    await owner.team.activate({ projectId, id: team.id });
    expect((await owner.agent.byId({ projectId, id: reviewer.id })).teamId).toBe(team.id);
    await owner.team.update({ projectId, id: team.id, patch: { roleMix: { researcher: 1 } } });
    const report = await owner.team.activate({ projectId, id: team.id });
    expect(report.team.members.map((m) => m.name)).toEqual(["mix-researcher"]);
    expect((await owner.agent.byId({ projectId, id: reviewer.id })).teamId).toBeNull();
    world.close();
  });
});
