import { agentSessions } from "@tower/db";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentRow, createWorld, expectTRPCError, type TestCaller, type World } from "../test-fixtures";

let world: World;
let owner: TestCaller;
let operator: TestCaller;
let sdk: TestCaller;
let projectId: string;
const PROJECT_NAME = "Olivia Owner's project";

beforeEach(async () => {
  world = await createWorld();
  owner = world.users.owner.caller;
  operator = world.users.operator.caller;
  sdk = world.as({ apiKey: world.keys.manage.secret });
  projectId = world.projectId;
});
afterEach(() => world.close());

const statuses = (id: string) =>
  Object.fromEntries(
    (
      world.sqlite.prepare("select name, status from agents where project_id = ? order by name").all(id) as {
        name: string;
        status: string;
      }[]
    ).map((row) => [row.name, row.status]),
  );
const agentEvents = (id: string) =>
  (world.sqlite.prepare("select count(*) as n from changes where project_id = ?").get(id) as { n: number }).n;

/** Home: one idle (with a session), one busy, one offline, one already disabled, plus home-agent (offline). */
async function fleet() {
  const idle = await sdk.session.start({ name: "idle-1", profile: { role: "coder" } });
  const busy = await sdk.session.start({ name: "busy-1", profile: { role: "coder" } });
  await sdk.session.heartbeat({ sessionId: busy.session.id, status: "busy" });
  await owner.agent.create({ projectId, name: "offline-1", role: "coder" });
  const off = await owner.agent.create({ projectId, name: "disabled-1", role: "coder" });
  await owner.agent.setEnabled({ projectId, id: off.id, enabled: false });
  await world.users.foreignOwner.caller.session.start({ projectId: world.foreignProjectId, name: "foreign-agent" });
  return { idle, busy };
}

describe("fleet kill switch", () => {
  it("the project name must be typed back; otherwise BAD_REQUEST naming confirm and nothing changes", async () => {
    await fleet();
    const before = statuses(projectId);
    const events = agentEvents(projectId);
    for (const confirm of ["", "olivia owner's project", "Foreign", `${PROJECT_NAME} `]) {
      const error = await expectTRPCError(operator.fleet.deactivateAll({ projectId, confirm }), "BAD_REQUEST", /^confirm:/);
      // Whoever must type the name sees it in the dashboard; the error never gives it away.
      expect(error.message).not.toContain(PROJECT_NAME);
    }
    expect(statuses(projectId)).toEqual(before);
    expect(agentEvents(projectId)).toBe(events);
  });

  it("disables every agent of the project, ends their sessions, and only this project's", async () => {
    const { idle, busy } = await fleet();
    const foreignBefore = statuses(world.foreignProjectId);
    const foreignEvents = agentEvents(world.foreignProjectId);
    const result = await operator.fleet.deactivateAll({ projectId, confirm: PROJECT_NAME });
    expect(result).toEqual({ changed: 4 }); // idle, busy, offline, home-agent; not the one already disabled
    expect(statuses(projectId)).toEqual({
      "busy-1": "disabled",
      "disabled-1": "disabled",
      "home-agent": "disabled",
      "idle-1": "disabled",
      "offline-1": "disabled",
    });
    for (const { session } of [idle, busy]) {
      expect(world.deps.db.select().from(agentSessions).where(eq(agentSessions.id, session.id)).get()).toMatchObject({
        endReason: "disabled",
      });
      await expectTRPCError(sdk.session.heartbeat({ sessionId: session.id }), "FORBIDDEN", /is disabled/);
    }
    expect(statuses(world.foreignProjectId)).toEqual(foreignBefore);
    expect(foreignBefore).toEqual({ "foreign-agent": "idle" });
    expect(agentEvents(world.foreignProjectId)).toBe(foreignEvents);

    // Pulling it again finds nothing left to disable.
    expect(await operator.fleet.deactivateAll({ projectId, confirm: PROJECT_NAME })).toEqual({ changed: 0 });
  });

  it("activateAll re-enables every disabled agent as offline, and only in this project", async () => {
    await fleet();
    await world.users.foreignOwner.caller.agent.setEnabled({
      projectId: world.foreignProjectId,
      id: world.foreignAgent.id,
      enabled: false,
    });
    await operator.fleet.deactivateAll({ projectId, confirm: PROJECT_NAME });
    // Recovery from the kill switch is for people: the manage key that could press it cannot undo it.
    await expectTRPCError(sdk.fleet.activateAll({}), "FORBIDDEN", /Only a person/);
    const result = await operator.fleet.activateAll({ projectId });
    expect(result).toEqual({ changed: 5 });
    expect(new Set(Object.values(statuses(projectId)))).toEqual(new Set(["offline"]));
    expect(agentRow(world.deps, world.foreignAgent.id)?.status).toBe("disabled");
    // Agents can start again.
    await sdk.session.start({ name: "idle-1" });
    expect(statuses(projectId)["idle-1"]).toBe("idle");
    expect(await operator.fleet.activateAll({ projectId })).toEqual({ changed: 0 });
  });

  it("the foreign project's kill switch is FORBIDDEN to this project's callers and changes nothing there", async () => {
    await fleet();
    const before = statuses(world.foreignProjectId);
    await expectTRPCError(
      owner.fleet.deactivateAll({ projectId: world.foreignProjectId, confirm: "Foreign" }),
      "FORBIDDEN",
    );
    await expectTRPCError(
      sdk.fleet.deactivateAll({ projectId: world.foreignProjectId, confirm: "Foreign" }),
      "FORBIDDEN",
    );
    await expectTRPCError(
      world.users.viewer.caller.fleet.deactivateAll({ projectId, confirm: PROJECT_NAME }),
      "FORBIDDEN",
    );
    expect(statuses(world.foreignProjectId)).toEqual(before);
    expect(statuses(projectId)["idle-1"]).toBe("idle");
  });
});
