import type { AuditEvent } from "@tower/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SharedJson } from "../core/shared-json";
import { callerWithSignal, createWorld, expectTRPCError, inviteAndSignUp, reader, type World } from "../test-fixtures";

let w: World;
const controllers: AbortController[] = [];
beforeEach(async () => {
  w = await createWorld();
});
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort();
  w.close();
});

const owner = () => w.users.owner.caller;
const admin = () => w.users.admin.caller;
const roleOf = async (userId: string) =>
  (await owner().project.members({ projectId: w.projectId })).find((m) => m.userId === userId)?.role;
const auditOf = async (operation: string) => (await owner().audit.list({ projectId: w.projectId, operation })).items;
/** A caller whose subscriptions stop with the test. */
const subscriber = (sessionToken: string) => {
  const controller = new AbortController();
  controllers.push(controller);
  return callerWithSignal(w.deps, { sessionToken }, controller.signal);
};

describe("project.members", () => {
  it("shows emails to owners and admins only (people, not keys)", async () => {
    const { projectId, users } = w;
    for (const caller of [owner(), admin()]) {
      const members = await caller.project.members({ projectId });
      expect(members.find((m) => m.userId === users.viewer.user.id)?.email).toBe("viewer@example.com");
    }
    for (const who of [users.operator, users.viewer]) {
      const members = await who.caller.project.members({ projectId });
      expect(members.length).toBe(4);
      expect(members.map((m) => m.email)).toEqual([null, null, null, null]);
      expect(members.map((m) => m.name)).toContain("Olivia Owner");
    }
    // Nor to an API key, even an admin one: keys manage no members.
    for (const key of [w.keys.read, w.keys.admin]) {
      const members = await w.as({ apiKey: key.secret }).project.members({});
      expect(members.map((m) => m.email)).toEqual([null, null, null, null]);
    }
  });
});

describe("member.remove", () => {
  it("removes a member, who then can do nothing in the project; audited", async () => {
    const { projectId, users } = w;
    await admin().member.remove({ projectId, userId: users.operator.user.id });
    await expectTRPCError(users.operator.caller.agent.list({ projectId }), "FORBIDDEN");
    expect(await roleOf(users.operator.user.id)).toBeUndefined();
    const [row] = await auditOf("member.remove");
    expect(row).toMatchObject({
      actorName: "Adam Admin",
      target: "Oscar Operator",
      detail: { userId: users.operator.user.id, role: "operator" },
    });
  });

  it("ends the removed member's open streams at once, and only theirs", async () => {
    const { projectId, users } = w;
    const removed = reader(await subscriber(users.viewer.token).agent.onChange({ projectId, lastEventId: null }));
    const kept = reader(await subscriber(users.operator.token).agent.onChange({ projectId, lastEventId: null }));
    const tail = reader<SharedJson<AuditEvent[]>>(
      await subscriber(users.viewer.token).audit.onAppend({ projectId, lastEventId: null }),
    );
    expect([await removed.nextOrTimeout(0), await kept.nextOrTimeout(0)]).toEqual(["timeout", "timeout"]);
    tail.open();

    await owner().member.remove({ projectId, userId: users.viewer.user.id });
    await expect(removed.next()).rejects.toThrow("subscription ended");
    // The tail may first deliver the removal's own audit row; then it ends.
    await expect(
      (async () => {
        for (;;) await tail.next();
      })(),
    ).rejects.toThrow("subscription ended");
    const created = await owner().agent.create({ projectId, name: "after-removal", role: "coder" });
    expect((await kept.next()).data.data).toMatchObject({ id: created.id });
    // A role change is not a removal: a member's streams go on.
    const still = reader(await subscriber(users.operator.token).team.onChange({ projectId, lastEventId: null }));
    still.open();
    await owner().member.setRole({ projectId, userId: users.operator.user.id, role: "viewer" });
    const team = await owner().team.create({ projectId, name: "after-role-change", roleMix: { coder: 1 } });
    expect((await still.next()).data.data).toMatchObject({ id: team.id });
  });

  it("keeps admins off owners, and never leaves a project without an owner", async () => {
    const { projectId, users } = w;
    await expectTRPCError(
      admin().member.remove({ projectId, userId: users.owner.user.id }),
      "FORBIDDEN",
      "Only an owner can change or remove an owner",
    );
    await expectTRPCError(
      owner().member.remove({ projectId, userId: users.owner.user.id }),
      "CONFLICT",
      "A project needs an owner: make someone else owner first",
    );
    // With a second owner, the first may leave.
    await owner().member.setRole({ projectId, userId: users.admin.user.id, role: "owner" });
    await owner().member.remove({ projectId, userId: users.owner.user.id });
    expect(await w.users.admin.caller.project.members({ projectId })).toHaveLength(3);
  });

  it("is refused to operators, viewers, outsiders and every API key", async () => {
    const { projectId, users, keys } = w;
    const target = { projectId, userId: users.viewer.user.id };
    await expectTRPCError(users.operator.caller.member.remove(target), "FORBIDDEN");
    await expectTRPCError(users.viewer.caller.member.remove(target), "FORBIDDEN");
    await expectTRPCError(users.outsider.caller.member.remove(target), "FORBIDDEN");
    for (const key of [keys.admin, keys.manage, keys.read, keys.agent]) {
      await expectTRPCError(w.as({ apiKey: key.secret }).member.remove(target), "FORBIDDEN");
      await expectTRPCError(w.as({ apiKey: key.secret }).member.setRole({ ...target, role: "admin" }), "FORBIDDEN");
      await expectTRPCError(w.as({ apiKey: key.secret }).member.revokeSessions(target), "FORBIDDEN");
      await expectTRPCError(w.as({ apiKey: key.secret }).member.createResetLink(target), "FORBIDDEN");
    }
    // Someone from another project is "not a member" here, never found through this project.
    await expectTRPCError(
      owner().member.remove({ projectId, userId: users.foreignOwner.user.id }),
      "NOT_FOUND",
      "This person is not a member of this project",
    );
    expect(await roleOf(users.viewer.user.id)).toBe("viewer");
  });
});

describe("member.setRole", () => {
  it("changes a role; only owners make owners or touch owners; audited", async () => {
    const { projectId, users } = w;
    await admin().member.setRole({ projectId, userId: users.viewer.user.id, role: "operator" });
    expect(await roleOf(users.viewer.user.id)).toBe("operator");
    await expectTRPCError(
      admin().member.setRole({ projectId, userId: users.viewer.user.id, role: "owner" }),
      "FORBIDDEN",
      "Only an owner can make someone an owner",
    );
    await expectTRPCError(
      admin().member.setRole({ projectId, userId: users.owner.user.id, role: "viewer" }),
      "FORBIDDEN",
      "Only an owner can change or remove an owner",
    );
    await expectTRPCError(
      owner().member.setRole({ projectId, userId: users.owner.user.id, role: "admin" }),
      "CONFLICT",
      /needs an owner/,
    );
    await owner().member.setRole({ projectId, userId: users.viewer.user.id, role: "owner" });
    // Now there are two owners: the first may step down.
    await owner().member.setRole({ projectId, userId: users.owner.user.id, role: "admin" });
    expect(await roleOf(users.owner.user.id)).toBe("admin");
    await expectTRPCError(owner().member.remove({ projectId, userId: users.viewer.user.id }), "FORBIDDEN");

    const rows = await w.users.viewer.caller.audit.list({ projectId, operation: "member.setRole" });
    expect(rows.items.map((r) => [r.actorName, r.target, r.detail.from, r.detail.to])).toEqual([
      ["Olivia Owner", "Olivia Owner", "owner", "admin"],
      ["Olivia Owner", "Vera Viewer", "operator", "owner"],
      ["Adam Admin", "Vera Viewer", "viewer", "operator"],
    ]);
  });
});

describe("member.revokeSessions", () => {
  it("signs a member out everywhere and ends their open streams; audited", async () => {
    const { projectId, users } = w;
    const stream = reader(await subscriber(users.operator.token).agent.onChange({ projectId, lastEventId: null }));
    stream.open();
    expect(await admin().member.revokeSessions({ projectId, userId: users.operator.user.id })).toEqual({
      sessionsEnded: 1,
    });
    await expect(stream.next()).rejects.toThrow("subscription ended");
    await expectTRPCError(w.as({ sessionToken: users.operator.token }).project.list(), "UNAUTHORIZED");
    await expectTRPCError(
      admin().member.revokeSessions({ projectId, userId: users.owner.user.id }),
      "FORBIDDEN",
      "Only an owner can change or remove an owner",
    );
    expect(await w.as({ sessionToken: users.owner.token }).project.list()).not.toHaveLength(0);
    const [row] = await auditOf("member.revokeSessions");
    expect(row).toMatchObject({ target: "Oscar Operator", detail: { sessionsEnded: 1 } });
  });
});

describe("member.createResetLink", () => {
  it("is refused for someone in a project the issuer does not manage", async () => {
    const { projectId, users } = w;
    // The outsider is in the lobby, where the admin is not a member: a link would hand the admin
    // the outsider's lobby role too.
    const both = await inviteAndSignUp(w.deps, owner(), projectId, "viewer", "both@example.com", "Bo Both");
    await owner()
      .invite.create({ projectId: w.lobbyProjectId, role: "viewer" })
      .then((invite) => both.caller.invite.accept({ token: invite.token }));
    await expectTRPCError(
      admin().member.createResetLink({ projectId, userId: both.user.id }),
      "FORBIDDEN",
      /also belongs to a project where you cannot manage them/,
    );
    // The owner manages them in both projects.
    expect(await owner().member.createResetLink({ projectId, userId: both.user.id })).toMatchObject({
      token: expect.any(String),
    });
    await expectTRPCError(
      admin().member.createResetLink({ projectId, userId: users.admin.user.id }),
      "BAD_REQUEST",
      /Change your own password/,
    );
  });
});
