import { memberships, projects, users } from "@tower/db";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { SESSION_TTL_MS } from "../services/auth-service";
import { DEMO_PROJECT_NAME, ensureDemoProject } from "../services/demo-seed";
import { countAgents, countUsers, expectTRPCError, inviteAndSignUp, PASSWORD, signUpUser } from "../test-fixtures";
import { callerFor, createTestDeps } from "../testing";

let env: ReturnType<typeof createTestDeps>;
afterEach(() => env?.close());

function fresh() {
  env = createTestDeps();
  return env;
}

describe("auth.signUp", () => {
  it("makes the first user owner of the demo project, with a session cookie and no invite", async () => {
    const { deps } = fresh();
    const demo = ensureDemoProject(deps);
    expect(demo.created).toBe(true);
    expect(countAgents(deps, demo.projectId)).toBe(4);
    expect(ensureDemoProject(deps)).toEqual({ projectId: demo.projectId, created: false });
    expect(deps.db.select().from(projects).all()).toHaveLength(1);
    expect(countAgents(deps)).toBe(4);

    const anonymous = callerFor(deps);
    expect((await anonymous.auth.me()).setupNeeded).toBe(true);
    const { user } = await anonymous.auth.signUp({
      email: "First@Example.com",
      name: "First",
      password: PASSWORD,
    });
    expect(user.email).toBe("first@example.com");
    expect(anonymous.cookies.token).toEqual(expect.any(String));

    const me = await callerFor(deps, { sessionToken: anonymous.cookies.token }).auth.me();
    expect(me.user).toEqual(user);
    expect(me.setupNeeded).toBe(false);
    expect(me.memberships).toEqual([{ projectId: demo.projectId, projectName: DEMO_PROJECT_NAME, role: "owner" }]);
    expect(deps.db.select().from(projects).all()).toHaveLength(1);
  });

  it("gives the first user a new project when none exists", async () => {
    const { deps } = fresh();
    const { caller } = await signUpUser(deps, "first@example.com", "Ada");
    const list = await caller.project.list();
    expect(list).toEqual([{ projectId: expect.any(String), projectName: "Ada's project", role: "owner" }]);
    expect(deps.db.select().from(projects).all()).toHaveLength(1);
  });

  it("refuses a second sign-up without an invite and writes no user", async () => {
    const { deps } = fresh();
    await signUpUser(deps, "first@example.com", "First");
    const anonymous = callerFor(deps);
    await expectTRPCError(
      anonymous.auth.signUp({ email: "second@example.com", name: "Second", password: PASSWORD }),
      "FORBIDDEN",
    );
    await expectTRPCError(
      anonymous.auth.signUp({
        email: "second@example.com",
        name: "Second",
        password: PASSWORD,
        inviteToken: "nope",
      }),
      "FORBIDDEN",
    );
    expect(anonymous.cookies.token).toBeNull();
    expect(countUsers(deps)).toBe(1);
    expect(deps.db.select().from(users).where(eq(users.email, "second@example.com")).get()).toBeUndefined();
  });

  it("refuses a duplicate email, whatever its case", async () => {
    const { deps } = fresh();
    const first = await signUpUser(deps, "first@example.com", "First");
    const me = await first.caller.auth.me();
    const invite = await first.caller.invite.create({
      projectId: me.memberships[0]!.projectId,
      role: "viewer",
    });
    await expectTRPCError(
      callerFor(deps).auth.signUp({
        email: "FIRST@example.com",
        name: "Again",
        password: PASSWORD,
        inviteToken: invite.token,
      }),
      "CONFLICT",
    );
    expect(countUsers(deps)).toBe(1);
    // The invite was not spent by the failed attempt.
    expect((await callerFor(deps).invite.preview({ token: invite.token })).role).toBe("viewer");
  });

  it("stores passwords as argon2id hashes, never in plain text", async () => {
    const { deps, sqlite } = fresh();
    await signUpUser(deps, "first@example.com", "First");
    const row = sqlite.prepare("select password_hash from users").get() as {
      password_hash: string;
    };
    expect(row.password_hash.startsWith("$argon2id$")).toBe(true);
    expect(row.password_hash).not.toContain(PASSWORD);
    const dump = JSON.stringify(sqlite.prepare("select * from users").all());
    expect(dump).not.toContain(PASSWORD);
  });
});

describe("auth.logIn", () => {
  it("starts a session with the right password", async () => {
    const { deps } = fresh();
    const { user } = await signUpUser(deps, "first@example.com", "First");
    const anonymous = callerFor(deps);
    const result = await anonymous.auth.logIn({ email: "First@example.com", password: PASSWORD });
    expect(result.user).toEqual(user);
    const me = await callerFor(deps, { sessionToken: anonymous.cookies.token }).auth.me();
    expect(me.user?.id).toBe(user.id);
  });

  it("answers a wrong password and an unknown email with the same UNAUTHORIZED message", async () => {
    const { deps } = fresh();
    await signUpUser(deps, "first@example.com", "First");
    const anonymous = callerFor(deps);
    const wrong = await expectTRPCError(
      anonymous.auth.logIn({ email: "first@example.com", password: "not the password" }),
      "UNAUTHORIZED",
    );
    const unknown = await expectTRPCError(
      anonymous.auth.logIn({ email: "nobody@example.com", password: PASSWORD }),
      "UNAUTHORIZED",
    );
    expect(wrong.message).toBe(unknown.message);
    expect(anonymous.cookies.token).toBeNull();
  });
});

describe("sign-in throttle", () => {
  it("locks an account after 10 failed sign-ins, even for the right password, without touching others", async () => {
    const { deps } = fresh();
    const owner = await signUpUser(deps, "first@example.com", "First");
    const projectId = (await owner.caller.auth.me()).memberships[0]!.projectId;
    await inviteAndSignUp(deps, owner.caller, projectId, "viewer", "second@example.com", "Second");
    const anonymous = callerFor(deps);
    for (let i = 0; i < 10; i++) {
      await expectTRPCError(
        anonymous.auth.logIn({ email: "first@example.com", password: `wrong ${i}` }),
        "UNAUTHORIZED",
      );
    }
    await expectTRPCError(
      anonymous.auth.logIn({ email: "first@example.com", password: PASSWORD }),
      "TOO_MANY_REQUESTS",
      /try again in \d+ s/,
    );
    expect(anonymous.cookies.token).toBeNull();
    await anonymous.auth.logIn({ email: "second@example.com", password: PASSWORD });
    expect(anonymous.cookies.token).not.toBeNull();
  });

  it("a successful sign-in clears the count of failures", async () => {
    const { deps } = fresh();
    await signUpUser(deps, "first@example.com", "First");
    const anonymous = callerFor(deps);
    for (let i = 0; i < 9; i++)
      await expectTRPCError(
        anonymous.auth.logIn({ email: "first@example.com", password: "nope nope" }),
        "UNAUTHORIZED",
      );
    await anonymous.auth.logIn({ email: "first@example.com", password: PASSWORD });
    for (let i = 0; i < 9; i++)
      await expectTRPCError(
        anonymous.auth.logIn({ email: "first@example.com", password: "nope nope" }),
        "UNAUTHORIZED",
      );
    await anonymous.auth.logIn({ email: "FIRST@example.com", password: PASSWORD });
  });
});

describe("sessions", () => {
  it("auth.me returns the user and memberships for the cookie token, and nothing for anonymous", async () => {
    const { deps } = fresh();
    const owner = await signUpUser(deps, "first@example.com", "First");
    const projectId = (await owner.caller.auth.me()).memberships[0]!.projectId;
    const second = await owner.caller.project.create({ name: "Another" });
    const viewer = await inviteAndSignUp(deps, owner.caller, second.projectId, "viewer", "v@example.com", "Vic");

    const me = await callerFor(deps, { sessionToken: viewer.token }).auth.me();
    expect(me.user).toEqual({ id: viewer.user.id, email: "v@example.com", name: "Vic" });
    expect(me.memberships).toEqual([{ projectId: second.projectId, projectName: "Another", role: "viewer" }]);

    const ownerMe = await owner.caller.auth.me();
    expect(ownerMe.memberships.map((m) => m.projectId).sort()).toEqual([projectId, second.projectId].sort());

    expect(await callerFor(deps).auth.me()).toEqual({
      user: null,
      memberships: [],
      setupNeeded: false,
    });
    expect(await callerFor(deps, { sessionToken: "forged" }).auth.me()).toMatchObject({
      user: null,
    });
  });

  it("logOut revokes the session and clears the cookie", async () => {
    const { deps } = fresh();
    const { token, caller } = await signUpUser(deps, "first@example.com", "First");
    caller.cookies.token = token;
    expect(await caller.auth.logOut()).toEqual({ ok: true });
    expect(caller.cookies.token).toBeNull();

    const again = callerFor(deps, { sessionToken: token });
    expect((await again.auth.me()).user).toBeNull();
    await expectTRPCError(again.project.list(), "UNAUTHORIZED");
    await expectTRPCError(again.auth.logOut(), "UNAUTHORIZED");
  });

  it("logging out one session leaves the others signed in", async () => {
    const { deps } = fresh();
    const { token } = await signUpUser(deps, "first@example.com", "First");
    const other = callerFor(deps);
    await other.auth.logIn({ email: "first@example.com", password: PASSWORD });
    await callerFor(deps, { sessionToken: token }).auth.logOut();
    expect(await callerFor(deps, { sessionToken: other.cookies.token }).project.list()).toHaveLength(1);
  });

  it("treats an expired session as anonymous", async () => {
    const { deps, clock } = fresh();
    const { token } = await signUpUser(deps, "first@example.com", "First");
    clock.advance(SESSION_TTL_MS - 1);
    expect((await callerFor(deps, { sessionToken: token }).auth.me()).user).not.toBeNull();
    clock.advance(1);
    const expired = callerFor(deps, { sessionToken: token });
    expect((await expired.auth.me()).user).toBeNull();
    await expectTRPCError(expired.project.list(), "UNAUTHORIZED");
  });

  it("an invited user joins with exactly one membership", async () => {
    const { deps } = fresh();
    const owner = await signUpUser(deps, "first@example.com", "First");
    const projectId = (await owner.caller.auth.me()).memberships[0]!.projectId;
    const op = await inviteAndSignUp(deps, owner.caller, projectId, "operator", "op@example.com", "Op");
    const rows = deps.db.select().from(memberships).where(eq(memberships.userId, op.user.id)).all();
    expect(rows).toEqual([expect.objectContaining({ projectId, role: "operator" })]);
  });
});
