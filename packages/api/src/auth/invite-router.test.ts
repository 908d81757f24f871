import { invites } from "@tower/db";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  countMemberships,
  countUsers,
  expectTRPCError,
  inviteAndSignUp,
  PASSWORD,
  signUpUser,
  type TestCaller,
} from "../test-fixtures";
import { callerFor, createTestDeps } from "../testing";

let env: ReturnType<typeof createTestDeps>;
let owner: TestCaller;
let projectId: string;

beforeEach(async () => {
  env = createTestDeps();
  const signedUp = await signUpUser(env.deps, "owner@example.com", "Owner");
  owner = signedUp.caller;
  projectId = (await owner.auth.me()).memberships[0]!.projectId;
});
afterEach(() => env.close());

const signUpWith = (inviteToken: string, email = "new@example.com") =>
  callerFor(env.deps).auth.signUp({ email, name: "Newcomer", password: PASSWORD, inviteToken });

describe("invites", () => {
  it("an admin creates one; preview shows the project and role; sign-up joins with that role", async () => {
    const admin = await inviteAndSignUp(env.deps, owner, projectId, "admin", "admin@example.com", "Admin");
    const invite = await admin.caller.invite.create({
      projectId,
      role: "viewer",
      expiresInHours: 2,
    });
    expect(invite).toEqual({
      id: expect.any(String),
      token: expect.any(String),
      role: "viewer",
      expiresAt: env.clock.now() + 2 * 3_600_000,
    });
    // Only the hash of the token is stored.
    const row = env.deps.db.select().from(invites).where(eq(invites.id, invite.id)).get();
    expect(row?.tokenHash).not.toBe(invite.token);
    expect(JSON.stringify(row)).not.toContain(invite.token);

    expect(await callerFor(env.deps).invite.preview({ token: invite.token })).toEqual({
      projectName: "Owner's project",
      role: "viewer",
    });
    expect((await admin.caller.invite.list({ projectId })).map((i) => i.id)).toContain(invite.id);

    const anonymous = callerFor(env.deps);
    const { user } = await anonymous.auth.signUp({
      email: "new@example.com",
      name: "New",
      password: PASSWORD,
      inviteToken: invite.token,
    });
    const me = await callerFor(env.deps, { sessionToken: anonymous.cookies.token }).auth.me();
    expect(me.user?.id).toBe(user.id);
    expect(me.memberships).toEqual([{ projectId, projectName: "Owner's project", role: "viewer" }]);
    expect((await admin.caller.invite.list({ projectId })).map((i) => i.id)).not.toContain(invite.id);
  });

  it("defaults to operator for 72 hours", async () => {
    const invite = await owner.invite.create({ projectId });
    expect(invite.role).toBe("operator");
    expect(invite.expiresAt).toBe(env.clock.now() + 72 * 3_600_000);
  });

  it("an operator cannot invite", async () => {
    const operator = await inviteAndSignUp(env.deps, owner, projectId, "operator", "op@example.com", "Op");
    await expectTRPCError(operator.caller.invite.create({ projectId, role: "viewer" }), "FORBIDDEN");
    expect(env.deps.db.select().from(invites).all()).toHaveLength(1); // only the operator's own invite
  });

  it("never hands out ownership by link", async () => {
    // @ts-expect-error owner is not an invite role
    await expectTRPCError(owner.invite.create({ projectId, role: "owner" }), "BAD_REQUEST");
  });

  it("a token cannot be used twice", async () => {
    const invite = await owner.invite.create({ projectId, role: "operator" });
    await signUpWith(invite.token, "one@example.com");
    await expectTRPCError(signUpWith(invite.token, "two@example.com"), "FORBIDDEN");
    await expectTRPCError(callerFor(env.deps).invite.preview({ token: invite.token }), "NOT_FOUND");
    expect(countUsers(env.deps)).toBe(2);
    expect(countMemberships(env.deps, projectId)).toBe(2);
  });

  it("refuses an expired invite", async () => {
    const invite = await owner.invite.create({ projectId, role: "operator", expiresInHours: 1 });
    env.clock.advance(3_600_000 - 1);
    expect((await callerFor(env.deps).invite.preview({ token: invite.token })).role).toBe("operator");
    env.clock.advance(1);
    await expectTRPCError(callerFor(env.deps).invite.preview({ token: invite.token }), "NOT_FOUND");
    await expectTRPCError(signUpWith(invite.token), "FORBIDDEN");
    expect(countUsers(env.deps)).toBe(1);
    expect(await owner.invite.list({ projectId })).toEqual([]);
  });

  it("refuses a revoked invite", async () => {
    const invite = await owner.invite.create({ projectId, role: "operator" });
    expect(await owner.invite.revoke({ projectId, id: invite.id })).toEqual({ ok: true });
    await expectTRPCError(callerFor(env.deps).invite.preview({ token: invite.token }), "NOT_FOUND");
    await expectTRPCError(signUpWith(invite.token), "FORBIDDEN");
    expect(countUsers(env.deps)).toBe(1);
  });

  it("cannot revoke an invite that was already used", async () => {
    const invite = await owner.invite.create({ projectId, role: "viewer" });
    await signUpWith(invite.token);
    await expectTRPCError(owner.invite.revoke({ projectId, id: invite.id }), "NOT_FOUND");
    expect(countMemberships(env.deps, projectId)).toBe(2);
  });

  it("cannot revoke another project's invite", async () => {
    const other = await owner.project.create({ name: "Other" });
    const invite = await owner.invite.create({ projectId: other.projectId, role: "viewer" });
    await expectTRPCError(owner.invite.revoke({ projectId, id: invite.id }), "NOT_FOUND");
    expect((await callerFor(env.deps).invite.preview({ token: invite.token })).projectName).toBe("Other");
  });

  it("an existing user accepts with invite.accept", async () => {
    const other = await owner.project.create({ name: "Other" });
    const member = await inviteAndSignUp(env.deps, owner, other.projectId, "viewer", "m@example.com", "Member");
    await expectTRPCError(member.caller.agent.list({ projectId }), "FORBIDDEN");

    const invite = await owner.invite.create({ projectId, role: "operator" });
    await expectTRPCError(callerFor(env.deps).invite.accept({ token: invite.token }), "UNAUTHORIZED");
    expect(await member.caller.invite.accept({ token: invite.token })).toEqual({ projectId });
    expect((await member.caller.project.list()).find((m) => m.projectId === projectId)?.role).toBe("operator");
    await member.caller.agent.create({ projectId, name: "made-by-member", role: "coder" });
    await expectTRPCError(member.caller.invite.accept({ token: invite.token }), "NOT_FOUND");
  });

  it("accepting never demotes an existing member", async () => {
    const admin = await inviteAndSignUp(env.deps, owner, projectId, "admin", "admin@example.com", "Admin");
    const invite = await owner.invite.create({ projectId, role: "viewer" });
    await admin.caller.invite.accept({ token: invite.token });
    expect((await admin.caller.project.list())[0]?.role).toBe("admin");
  });

  it("an admin's open invites end when they are removed or made less than admin, so they cannot let themselves back in", async () => {
    const admin = await inviteAndSignUp(env.deps, owner, projectId, "admin", "adam@example.com", "Adam Admin");
    const forLater = await admin.caller.invite.create({ projectId, role: "admin", expiresInHours: 720 });
    const ownersOwn = await owner.invite.create({ projectId, role: "viewer" });
    // Listed with who made it: the owner can see whose invites are open.
    expect(await owner.invite.list({ projectId })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: forLater.id, createdByName: "Adam Admin" }),
        expect.objectContaining({ id: ownersOwn.id, createdByName: "Owner" }),
      ]),
    );
    // Below admin, they could not make it now: it ends.
    await owner.member.setRole({ projectId, userId: admin.user.id, role: "operator" });
    expect((await owner.invite.list({ projectId })).map((i) => i.id)).toEqual([ownersOwn.id]);
    await expectTRPCError(signUpWith(forLater.token, "adam2@example.com"), "FORBIDDEN");
    await expectTRPCError(admin.caller.invite.accept({ token: forLater.token }), "NOT_FOUND");
    const audit = env.sqlite
      .prepare("select detail from audit_events where operation = 'member.setRole' order by rowid desc limit 1")
      .pluck()
      .get() as string;
    expect(JSON.parse(audit)).toMatchObject({ from: "admin", to: "operator", invitesRevoked: 1 });

    // Removed: the same, and the owner's invite is untouched.
    await owner.member.setRole({ projectId, userId: admin.user.id, role: "admin" });
    const another = await admin.caller.invite.create({ projectId, role: "admin" });
    await owner.member.remove({ projectId, userId: admin.user.id });
    await expectTRPCError(admin.caller.invite.accept({ token: another.token }), "NOT_FOUND");
    expect(await admin.caller.project.list()).toEqual([]);
    expect((await owner.invite.list({ projectId })).map((i) => i.id)).toEqual([ownersOwn.id]);
  });

  it("records who joined, with which invite, role and maker, in the project's trail", async () => {
    const joins = (project: string) =>
      (
        env.sqlite
          .prepare(
            "select actor_type, actor_id, target, detail from audit_events where project_id = ? and operation = 'member.join'",
          )
          .all(project) as { actor_type: string; actor_id: string; target: string; detail: string }[]
      ).map((row) => ({ ...row, detail: JSON.parse(row.detail) as unknown }));
    // By signing up with the link…
    const invite = await owner.invite.create({ projectId, role: "viewer" });
    const newcomer = await signUpUser(env.deps, "new@example.com", "Newcomer", invite.token);
    const ownerId = (await owner.auth.me()).user!.id;
    expect(joins(projectId)).toEqual([
      {
        actor_type: "user",
        actor_id: newcomer.user.id,
        target: "Newcomer",
        detail: { inviteId: invite.id, role: "viewer", invitedBy: { id: ownerId, name: "Owner" } },
      },
    ]);
    // …or, already having an account, by accepting it.
    const other = await owner.project.create({ name: "Other" });
    const second = await owner.invite.create({ projectId: other.projectId, role: "operator" });
    await newcomer.caller.invite.accept({ token: second.token });
    expect(joins(other.projectId)).toEqual([
      expect.objectContaining({
        actor_id: newcomer.user.id,
        detail: { inviteId: second.id, role: "operator", invitedBy: { id: ownerId, name: "Owner" } },
      }),
    ]);
  });

  it("preview of an unknown token is NOT_FOUND", async () => {
    await expectTRPCError(callerFor(env.deps).invite.preview({ token: "not-a-token" }), "NOT_FOUND");
  });
});
