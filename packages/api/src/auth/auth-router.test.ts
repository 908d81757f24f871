import { memberships, projects, users } from "@tower/db";
import { eq } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { DEMO_PROJECT_NAME, ensureDemoProject } from "../demo/demo-seed";
import {
  countAgents,
  countUsers,
  errorShape,
  expectTRPCError,
  inviteAndSignUp,
  PASSWORD,
  signUpUser,
} from "../test-fixtures";
import { callerFor, createTestDeps, TEST_SETUP_CODE } from "../testing";
import { SESSION_IDLE_MS, SESSION_TTL_MS } from "./auth-service";
import { createLoginThrottle } from "./login-throttle";
import { hashPassword } from "./password";

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
      setupCode: TEST_SETUP_CODE,
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
  it("locks an account from an address after 10 failed sign-ins, even for the right password, without touching others", async () => {
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

  it("ends a session at its absolute lifetime, however active it is", async () => {
    const { deps, clock } = fresh();
    const start = clock.now();
    const { token } = await signUpUser(deps, "first@example.com", "First");
    const use = async () => (await callerFor(deps, { sessionToken: token }).auth.me()).user;
    // Used every half idle period, so it never idles out, until just before its absolute end.
    while (clock.now() + SESSION_IDLE_MS / 2 < start + SESSION_TTL_MS) {
      clock.advance(SESSION_IDLE_MS / 2);
      expect(await use()).not.toBeNull();
    }
    clock.advance(start + SESSION_TTL_MS - 1 - clock.now());
    expect(await use()).not.toBeNull();
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

describe("a fresh install", () => {
  it("is claimed only with the setup code the server printed, in any case or grouping", async () => {
    const { deps } = fresh();
    const anonymous = callerFor(deps);
    const attempt = (setupCode?: string) =>
      anonymous.auth.signUp({ email: "first@example.com", name: "First", password: PASSWORD, setupCode });
    await expectTRPCError(attempt(), "FORBIDDEN", "Enter the setup code the Tower server printed when it started");
    // An empty box is a field error beside the others, not a refusal after them.
    const empty = await expectTRPCError(
      anonymous.auth.signUp({ email: "", name: "", password: "", setupCode: "  " }),
      "BAD_REQUEST",
    );
    expect(Object.keys(errorShape(empty).data.zodError?.fieldErrors ?? {})).toContain("setupCode");
    await expectTRPCError(attempt("AAAA-BBBB-CCCC-DDDD"), "FORBIDDEN", /^This setup code is wrong/);
    expect(countUsers(deps)).toBe(0);
    expect((await anonymous.auth.me()).setupNeeded).toBe(true);

    await attempt(` ${TEST_SETUP_CODE.toLowerCase().replaceAll("-", " ")} `);
    expect(countUsers(deps)).toBe(1);
    // Spent with the first account: the code opens nothing any more.
    await expectTRPCError(
      callerFor(deps).auth.signUp({
        email: "second@example.com",
        name: "Second",
        password: PASSWORD,
        setupCode: TEST_SETUP_CODE,
      }),
      "FORBIDDEN",
      "Sign-up needs an invite link from a project admin",
    );
  });
});

describe("sign-up without an invite", () => {
  it("gets one answer whatever the email, and hashes no password first", async () => {
    const { deps } = fresh();
    await signUpUser(deps, "first@example.com", "First");
    const anonymous = callerFor(deps);
    const refusal = async (email: string, extra: { inviteToken?: string; setupCode?: string } = {}) => {
      const started = performance.now();
      const error = await expectTRPCError(
        anonymous.auth.signUp({ email, name: "Someone", password: PASSWORD, ...extra }),
        "FORBIDDEN",
      );
      return { message: error.message, ms: performance.now() - started };
    };
    const taken = await refusal("first@example.com");
    const free = await refusal("nobody@example.com");
    expect(taken.message).toBe("Sign-up needs an invite link from a project admin");
    expect(free.message).toBe(taken.message);
    const badInvite = await refusal("first@example.com", { inviteToken: "not-an-invite" });
    const withCode = await refusal("first@example.com", { setupCode: TEST_SETUP_CODE });
    expect(withCode.message).toBe(taken.message);

    // An argon2id hash costs tens of milliseconds; four refusals together cost less than one.
    const hashing = performance.now();
    await hashPassword(PASSWORD);
    const hashMs = performance.now() - hashing;
    expect(taken.ms + free.ms + badInvite.ms + withCode.ms).toBeLessThan(hashMs);
    expect(countUsers(deps)).toBe(1);
  });
});

describe("password strength", () => {
  it("refuses the commonest and weakest passwords with the reason, and writes nothing", async () => {
    const { deps } = fresh();
    const anonymous = callerFor(deps);
    const attempt = (password: string) =>
      anonymous.auth.signUp({ email: "ada@example.com", name: "Ada Lovelace", password, setupCode: TEST_SETUP_CODE });
    const common = await expectTRPCError(attempt("password1234"), "BAD_REQUEST");
    expect(common.message).toMatch(
      /^password: This password is too easy to guess: it is (too close to )?(a commonly used|one of the)/,
    );
    await expectTRPCError(attempt("qwertyuiopas"), "BAD_REQUEST", /^password: This password is too easy to guess/);
    await expectTRPCError(attempt("adalovelace1"), "BAD_REQUEST", /contains your name or email address/);
    expect(countUsers(deps)).toBe(0);
    await attempt("a quiet lake at dawn");
    expect(countUsers(deps)).toBe(1);
  });
});

describe("sign-in throttle by account and address", () => {
  it("lets nobody lock another person out by typing their email from elsewhere", async () => {
    const { deps } = fresh();
    await signUpUser(deps, "victim@example.com", "Victim");
    const attacker = callerFor(deps, { clientAddress: "203.0.113.9" });
    for (let i = 0; i < 10; i++) {
      await expectTRPCError(
        attacker.auth.logIn({ email: "victim@example.com", password: `guess ${i}` }),
        "UNAUTHORIZED",
      );
    }
    await expectTRPCError(
      attacker.auth.logIn({ email: "victim@example.com", password: PASSWORD }),
      "TOO_MANY_REQUESTS",
      /^Too many failed sign-ins for this account from your network address; try again in \d+ s$/,
    );
    const victim = callerFor(deps, { clientAddress: "198.51.100.7" });
    await victim.auth.logIn({ email: "victim@example.com", password: PASSWORD });
    expect(victim.cookies.token).not.toBeNull();
  });

  it("limits failures per address across accounts, and does not count successes", async () => {
    const { deps } = fresh();
    deps.loginThrottle = createLoginThrottle({ failsPerAddressPerDay: 5 });
    await signUpUser(deps, "first@example.com", "First");
    const from = (clientAddress: string) => callerFor(deps, { clientAddress });
    // Successes from the address are handed back: they never use up its allowance.
    for (let i = 0; i < 3; i++)
      await from("203.0.113.9").auth.logIn({ email: "first@example.com", password: PASSWORD });
    for (let i = 0; i < 5; i++) {
      await expectTRPCError(
        from("203.0.113.9").auth.logIn({ email: `user${i}@example.com`, password: "nope" }),
        "UNAUTHORIZED",
      );
    }
    await expectTRPCError(
      from("203.0.113.9").auth.logIn({ email: "first@example.com", password: PASSWORD }),
      "TOO_MANY_REQUESTS",
      /^Too many failed sign-ins from your network address; try again in \d+ s$/,
    );
    await from("198.51.100.7").auth.logIn({ email: "first@example.com", password: PASSWORD });
  });

  it("audits failed and successful sign-ins with the address in the account's projects", async () => {
    const { deps } = fresh();
    const lines: { msg: string; address?: string }[] = [];
    deps.logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const owner = await signUpUser(deps, "first@example.com", "First");
    const projectId = (await owner.caller.auth.me()).memberships[0]!.projectId;
    const from = callerFor(deps, { clientAddress: "203.0.113.9", userAgent: "test-agent/1" });
    await expectTRPCError(from.auth.logIn({ email: "first@example.com", password: "wrong one" }), "UNAUTHORIZED");
    await from.auth.logIn({ email: "first@example.com", password: PASSWORD });
    await expectTRPCError(from.auth.logIn({ email: "ghost@example.com", password: "wrong one" }), "UNAUTHORIZED");

    const rows = (await owner.caller.audit.list({ projectId, operation: "auth.logIn" })).items;
    expect(
      rows.map((r) => [r.decision, r.actorType, r.actorName, r.target, r.detail.address, r.detail.userAgent]),
    ).toEqual([
      ["allowed", "user", "First", "First", "203.0.113.9", "test-agent/1"],
      ["denied", "system", "anonymous", "First", "203.0.113.9", "test-agent/1"],
    ]);
    // An email with no account has no project to audit in: the server log has it, with the address.
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "sign-in failed for an email with no account", address: "203.0.113.9" }),
    );
  });
});

describe("session idle lifetime", () => {
  it("ends a session unused for the idle lifetime; each use moves the end on", async () => {
    const { deps, clock } = fresh();
    const { token } = await signUpUser(deps, "first@example.com", "First");
    const use = async () => (await callerFor(deps, { sessionToken: token }).auth.me()).user;
    clock.advance(SESSION_IDLE_MS - 1);
    expect(await use()).not.toBeNull();
    clock.advance(SESSION_IDLE_MS - 1);
    expect(await use()).not.toBeNull();
    clock.advance(SESSION_IDLE_MS);
    expect(await use()).toBeNull();
    await expectTRPCError(callerFor(deps, { sessionToken: token }).project.list(), "UNAUTHORIZED");
  });
});
