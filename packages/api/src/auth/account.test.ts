import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerWithSignal, createWorld, expectTRPCError, PASSWORD, reader, type World } from "../test-fixtures";
import { callerFor } from "../testing";
import { SESSION_IDLE_MS } from "./auth-service";
import { RESET_LINK_TTL_MS } from "./member-service";

/** The signed-in person's own account: password, sessions, and reset links an admin gives them. */
let w: World;
const controllers: AbortController[] = [];
beforeEach(async () => {
  w = await createWorld();
});
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort();
  w.close();
});

const NEW_PASSWORD = "a quiet lake at dawn";

/** Signs `email` in again (from `clientAddress`), returning the new session's caller and token. */
async function logInAgain(email: string, password = PASSWORD, clientAddress = "198.51.100.20") {
  const anonymous = callerFor(w.deps, { clientAddress, userAgent: "Firefox on a laptop" });
  await anonymous.auth.logIn({ email, password });
  const token = anonymous.cookies.token!;
  // A caller is resolved once, when made: later checks of the same session use a fresh one.
  return { token, caller: callerFor(w.deps, { sessionToken: token }) };
}

const subscriber = (sessionToken: string) => {
  const controller = new AbortController();
  controllers.push(controller);
  return callerWithSignal(w.deps, { sessionToken }, controller.signal);
};

describe("auth.sessions and auth.revokeSession", () => {
  it("lists the user's own open sessions with where they came from, and ends one", async () => {
    const { users, projectId } = w;
    const laptop = await logInAgain("operator@example.com");
    const sessions = await users.operator.caller.auth.sessions();
    expect(sessions).toHaveLength(2);
    const [newest, first] = sessions;
    expect(newest).toMatchObject({ clientAddress: "198.51.100.20", userAgent: "Firefox on a laptop", current: false });
    expect(first).toMatchObject({ current: true, idleExpiresAt: first!.lastSeenAt + SESSION_IDLE_MS });

    const stream = reader(await subscriber(laptop.token).agent.onChange({ projectId, lastEventId: null }));
    stream.open();
    await users.operator.caller.auth.revokeSession({ id: newest!.id });
    await expect(stream.next()).rejects.toThrow("subscription ended");
    await expectTRPCError(w.as({ sessionToken: laptop.token }).project.list(), "UNAUTHORIZED");
    expect(await users.operator.caller.auth.sessions()).toHaveLength(1);

    const [row] = (await users.owner.caller.audit.list({ projectId, operation: "auth.revokeSession" })).items;
    expect(row).toMatchObject({ actorName: "Oscar Operator", detail: { sessionId: newest!.id } });
  });

  it("never shows or ends another person's session", async () => {
    const { users } = w;
    const [ownerSession] = await users.owner.caller.auth.sessions();
    expect((await users.viewer.caller.auth.sessions()).map((s) => s.id)).not.toContain(ownerSession!.id);
    await expectTRPCError(
      users.viewer.caller.auth.revokeSession({ id: ownerSession!.id }),
      "NOT_FOUND",
      "Session not found or already ended",
    );
    expect(await users.owner.caller.project.list()).not.toHaveLength(0);
    await expectTRPCError(w.as({ apiKey: w.keys.admin.secret }).auth.sessions(), "UNAUTHORIZED");
  });

  it("ends the current session too, clearing its cookie", async () => {
    const fresh = await logInAgain("viewer@example.com");
    const [current] = (await fresh.caller.auth.sessions()).filter((s) => s.current);
    fresh.caller.cookies.token = fresh.token;
    await fresh.caller.auth.revokeSession({ id: current!.id });
    expect(fresh.caller.cookies.token).toBeNull();
  });
});

describe("open streams and the session's lifetime", () => {
  it("ends an open stream when its session idles out, unless the session is used meanwhile", async () => {
    const { projectId, users, clock } = w;
    const idle = await logInAgain("viewer@example.com");
    const used = await logInAgain("operator@example.com");
    // Callers made now, as a WebSocket's is when it connects: a stream opened on one later is no use.
    const idleSocket = subscriber(idle.token);
    const usedSocket = subscriber(used.token);
    clock.advance(SESSION_IDLE_MS - 100_000);
    await w.as({ sessionToken: used.token }).project.list(); // a use: its idle end moves on
    // The idle stream's timer wakes 20 ms (real time) before its end by the clock, then keeps re-reading it.
    clock.advance(100_000 - 20);
    const idleStream = reader(await idleSocket.agent.onChange({ projectId, lastEventId: null }));
    const usedStream = reader(await usedSocket.agent.onChange({ projectId, lastEventId: null }));
    expect([await idleStream.nextOrTimeout(0), await usedStream.nextOrTimeout(0)]).toEqual(["timeout", "timeout"]);
    clock.advance(20);
    await expect(idleStream.next()).rejects.toThrow("subscription ended");
    const created = await users.owner.caller.agent.create({ projectId, name: "after-idle", role: "coder" });
    expect((await usedStream.next()).data.data).toMatchObject({ id: created.id });
  });
});

describe("auth.changePassword", () => {
  it("needs the current password, ends every other session, keeps this one; audited", async () => {
    const { users, projectId } = w;
    const other = await logInAgain("operator@example.com");
    const stream = reader(await subscriber(other.token).agent.onChange({ projectId, lastEventId: null }));
    stream.open();
    const me = users.operator.caller;
    await expectTRPCError(
      me.auth.changePassword({ currentPassword: "not it at all", newPassword: NEW_PASSWORD }),
      "BAD_REQUEST",
      "currentPassword: This is not your current password",
    );
    await expectTRPCError(
      me.auth.changePassword({ currentPassword: PASSWORD, newPassword: "password12345" }),
      "BAD_REQUEST",
      /^newPassword: This password is too easy to guess/,
    );
    expect(await me.auth.changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).toEqual({
      sessionsEnded: 1,
    });
    await expect(stream.next()).rejects.toThrow("subscription ended");
    await expectTRPCError(w.as({ sessionToken: other.token }).project.list(), "UNAUTHORIZED");
    expect(await me.project.list()).not.toHaveLength(0);
    await expectTRPCError(
      callerFor(w.deps).auth.logIn({ email: "operator@example.com", password: PASSWORD }),
      "UNAUTHORIZED",
    );
    await logInAgain("operator@example.com", NEW_PASSWORD);
    const [row] = (await users.owner.caller.audit.list({ projectId, operation: "auth.changePassword" })).items;
    expect(row).toMatchObject({ actorName: "Oscar Operator", detail: { sessionsEnded: 1 } });
  });

  it("counts wrong current passwords like failed sign-ins", async () => {
    const me = w.as({ sessionToken: w.users.viewer.token, clientAddress: "203.0.113.50" });
    for (let i = 0; i < 10; i++) {
      await expectTRPCError(
        me.auth.changePassword({ currentPassword: `guess ${i}`, newPassword: NEW_PASSWORD }),
        "BAD_REQUEST",
      );
    }
    await expectTRPCError(
      me.auth.changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
      "TOO_MANY_REQUESTS",
    );
  });
});

describe("password-reset links", () => {
  it("an admin's one-time link sets a new password, ends every session and signs the person in", async () => {
    const { users, projectId, clock } = w;
    const stream = reader(await subscriber(users.viewer.token).agent.onChange({ projectId, lastEventId: null }));
    stream.open();
    const link = await users.admin.caller.member.createResetLink({ projectId, userId: users.viewer.user.id });
    expect(link.expiresAt).toBe(clock.now() + RESET_LINK_TTL_MS);

    const anonymous = callerFor(w.deps, { clientAddress: "198.51.100.30" });
    await expectTRPCError(
      anonymous.auth.resetPassword({ token: link.token, password: "viewer12345" }),
      "BAD_REQUEST",
      /^password: This password is too easy to guess/,
    );
    expect(await anonymous.auth.resetPassword({ token: link.token, password: NEW_PASSWORD })).toMatchObject({
      user: { id: users.viewer.user.id },
    });
    expect(anonymous.cookies.token).toEqual(expect.any(String));
    await expect(stream.next()).rejects.toThrow("subscription ended");
    await expectTRPCError(w.as({ sessionToken: users.viewer.token }).project.list(), "UNAUTHORIZED");
    await logInAgain("viewer@example.com", NEW_PASSWORD);

    // Single use.
    await expectTRPCError(
      callerFor(w.deps).auth.resetPassword({ token: link.token, password: "another long phrase here" }),
      "FORBIDDEN",
      /invalid, used or expired/,
    );
    const audit = await users.owner.caller.audit.list({ projectId });
    const ops = audit.items.map((r) => r.operation);
    expect(ops).toContain("member.createResetLink");
    expect(ops).toContain("auth.resetPassword");
    expect(JSON.stringify(audit.items)).not.toContain(link.token);
  });

  it("expires after an hour, and a new link replaces the old one", async () => {
    const { users, projectId, clock } = w;
    const target = { projectId, userId: users.operator.user.id };
    const expiring = await users.owner.caller.member.createResetLink(target);
    clock.advance(RESET_LINK_TTL_MS);
    await expectTRPCError(
      callerFor(w.deps).auth.resetPassword({ token: expiring.token, password: NEW_PASSWORD }),
      "FORBIDDEN",
    );
    const first = await users.owner.caller.member.createResetLink(target);
    const second = await users.owner.caller.member.createResetLink(target);
    await expectTRPCError(
      callerFor(w.deps).auth.resetPassword({ token: first.token, password: NEW_PASSWORD }),
      "FORBIDDEN",
    );
    await callerFor(w.deps).auth.resetPassword({ token: second.token, password: NEW_PASSWORD });
  });

  it("an admin cannot issue one for an owner", async () => {
    const { users, projectId } = w;
    await expectTRPCError(
      users.admin.caller.member.createResetLink({ projectId, userId: users.owner.user.id }),
      "FORBIDDEN",
      "Only an owner can change or remove an owner",
    );
  });
});
