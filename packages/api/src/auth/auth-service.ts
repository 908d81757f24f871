// Over 300 lines on purpose: an account's life (sign-up, sign-in, passwords, own sessions) shares checks and helpers.
import { passwordResets, projects, memberships, sessions, users } from "@tower/db";
import type {
  ChangeEvent,
  Actor,
  ChangePasswordInput,
  LogInInput,
  Membership,
  ResetPasswordInput,
  SignUpInput,
  User,
} from "@tower/shared";
import { and, count, eq, gt, isNull } from "drizzle-orm";
import { publishChanges } from "../core/change-feed";
import type { ClientInfo, Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { newId, sha256 } from "../core/tokens";
import { appendAccountAudit } from "./account-audit";
import { acceptInviteTx, findOpenInvite } from "./invite-service";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./password";
import { assertStrongPassword } from "./password-strength";
import { setupCodeMatches } from "./setup-code";
import {
  announceRevokedSessions,
  revokeAllUserSessions,
  revokeUserSession,
  startUserSession,
  type NewSession,
} from "./user-session-service";

export { SESSION_IDLE_MS, SESSION_TTL_MS } from "../core/credentials";
export type { NewSession } from "./user-session-service";

/** The one answer to a sign-up without an invite once the install is claimed, whatever the email. */
const INVITE_NEEDED = "Sign-up needs an invite link from a project admin";
const INVITE_INVALID = "This invite link is invalid, used or expired";
const RESET_INVALID = "This password-reset link is invalid, used or expired; ask an admin for a new one";

/** Who tried to sign in before they proved it: the audit row names the account as its target. */
const ANONYMOUS: Actor = { type: "system", id: null, name: "anonymous" };
/** By name, as `actorOf` names people (the audit trail is read by viewers; emails are not theirs to see). */
const userActor = (user: Pick<User, "id" | "name">): Actor => ({ type: "user", id: user.id, name: user.name });

/** What the audit trail keeps of where an account action came from. */
const whereFrom = (client: ClientInfo) => ({ address: client.address, userAgent: client.userAgent });

export function hasAnyUser({ db }: Deps): boolean {
  return (db.select({ n: count() }).from(users).get()?.n ?? 0) > 0;
}

/**
 * The first account on a fresh install (with the setup code the server printed) becomes owner of
 * every existing project (the demo project), or of a new one; every later account needs an invite.
 * Everything that can refuse is checked before the password is hashed: a sign-up without an invite
 * costs the server nothing and is told the same whatever the email.
 */
export async function signUp(deps: Deps, input: SignUpInput, client: ClientInfo): Promise<NewSession> {
  const { db, clock } = deps;
  if (input.inviteToken) {
    if (!findOpenInvite(db, input.inviteToken, clock.now())) throw new DomainError("FORBIDDEN", INVITE_INVALID);
    // Only someone holding a valid invite learns that the email has an account (and how to join).
    if (db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).get()) {
      throw new DomainError("CONFLICT", "This email already has an account: log in, then open the invite link again", {
        field: "email",
      });
    }
  } else if (hasAnyUser(deps)) {
    throw new DomainError("FORBIDDEN", INVITE_NEEDED);
  } else if (!setupCodeMatches(deps.setupCode, input.setupCode)) {
    throw new DomainError(
      "FORBIDDEN",
      input.setupCode
        ? "This setup code is wrong: use the one the Tower server printed when it started"
        : "Enter the setup code the Tower server printed when it started",
    );
  }
  await assertStrongPassword("password", input.password, [input.email, input.name]);
  const passwordHash = await hashPassword(input.password);
  const now = clock.now();
  const user = { id: newId(), email: input.email, name: input.name };
  let joined: ChangeEvent[] = [];
  const session = db.transaction((tx) => {
    // Checked again: another sign-up may have committed while the password was hashed.
    if (tx.select({ id: users.id }).from(users).where(eq(users.email, input.email)).get()) {
      throw new DomainError("CONFLICT", "This email already has an account: log in instead", { field: "email" });
    }
    const first = (tx.select({ n: count() }).from(users).get()?.n ?? 0) === 0;
    const invite = input.inviteToken ? findOpenInvite(tx, input.inviteToken, now) : undefined;
    if (input.inviteToken ? !invite : !first) {
      throw new DomainError("FORBIDDEN", input.inviteToken ? INVITE_INVALID : INVITE_NEEDED);
    }
    tx.insert(users)
      .values({ ...user, passwordHash, createdAt: now })
      .run();
    if (invite) joined = acceptInviteTx(deps, tx, invite, { ...userActor(user), id: user.id }, now);
    if (!invite) {
      let owned = tx.select({ id: projects.id }).from(projects).all();
      if (owned.length === 0) {
        const id = newId();
        tx.insert(projects)
          .values({ id, name: `${input.name}'s project`, createdAt: now })
          .run();
        owned = [{ id }];
      }
      for (const project of owned) {
        tx.insert(memberships)
          .values({ projectId: project.id, userId: user.id, role: "owner", createdAt: now })
          .onConflictDoNothing()
          .run();
      }
    }
    appendAccountAudit(
      deps,
      tx,
      user.id,
      userActor(user),
      { operation: "auth.signUp", target: user.name, detail: { ...whereFrom(client), invited: Boolean(invite) } },
      now,
    );
    return startUserSession(deps, user, client, tx);
  });
  publishChanges(deps, joined);
  return session;
}

/**
 * Signs in, throttled per account and address together and per address (see LoginThrottle). Every
 * attempt on an existing account is audited in its projects with the address, failed or not; a
 * failure for an unknown email has no project to go to, so the server log records it.
 */
export async function logIn(deps: Deps, input: LogInInput, client: ClientInfo): Promise<NewSession> {
  const { db, clock } = deps;
  await deps.loginThrottle.consumeAttempt(input.email, client.address);
  const row = db.select().from(users).where(eq(users.email, input.email)).get();
  const valid = row ? await verifyPassword(row.passwordHash, input.password) : await burnPasswordCheck(input.password);
  const now = clock.now();
  if (!row || !valid) {
    if (row) {
      db.transaction((tx) =>
        appendAccountAudit(
          deps,
          tx,
          row.id,
          ANONYMOUS,
          { operation: "auth.logIn", target: row.name, decision: "denied", detail: whereFrom(client) },
          now,
        ),
      );
    } else deps.logger.warn({ address: client.address }, "sign-in failed for an email with no account");
    throw new DomainError("UNAUTHORIZED", "Wrong email or password");
  }
  await deps.loginThrottle.recordSuccess(input.email, client.address);
  const user = { id: row.id, email: row.email, name: row.name };
  return db.transaction((tx) => {
    const session = startUserSession(deps, user, client, tx);
    appendAccountAudit(
      deps,
      tx,
      user.id,
      userActor(user),
      {
        operation: "auth.logIn",
        target: user.name,
        decision: "allowed",
        detail: { ...whereFrom(client), sessionId: session.sessionId },
      },
      now,
    );
    return session;
  });
}

export function logOut({ db, clock, bus }: Deps, sessionId: string): void {
  db.update(sessions).set({ revokedAt: clock.now() }).where(eq(sessions.id, sessionId)).run();
  bus.publishRevocation(sessionId);
}

/**
 * Changes the signed-in user's password after checking the current one (throttled like a sign-in,
 * so a borrowed session cannot be used to guess it); every other session of theirs ends.
 */
export async function changePassword(
  deps: Deps,
  userId: string,
  currentSessionId: string,
  input: ChangePasswordInput,
  client: ClientInfo,
): Promise<{ sessionsEnded: number }> {
  const { db, clock } = deps;
  const row = db.select().from(users).where(eq(users.id, userId)).get();
  if (!row) throw new DomainError("UNAUTHORIZED", "Your account no longer exists");
  await deps.loginThrottle.consumeAttempt(row.email, client.address);
  if (!(await verifyPassword(row.passwordHash, input.currentPassword))) {
    throw new DomainError("BAD_REQUEST", "This is not your current password", { field: "currentPassword" });
  }
  await deps.loginThrottle.recordSuccess(row.email, client.address);
  if (input.newPassword === input.currentPassword) {
    throw new DomainError("BAD_REQUEST", "Choose a password different from the current one", {
      field: "newPassword",
    });
  }
  await assertStrongPassword("newPassword", input.newPassword, [row.email, row.name]);
  const passwordHash = await hashPassword(input.newPassword);
  const now = clock.now();
  const ended = db.transaction((tx) => {
    tx.update(users).set({ passwordHash }).where(eq(users.id, userId)).run();
    const ids = revokeAllUserSessions(tx, userId, now, currentSessionId);
    appendAccountAudit(
      deps,
      tx,
      userId,
      userActor(row),
      {
        operation: "auth.changePassword",
        target: row.name,
        detail: { ...whereFrom(client), sessionsEnded: ids.length },
      },
      now,
    );
    return ids;
  });
  announceRevokedSessions(deps, ended);
  return { sessionsEnded: ended.length };
}

/** Ends one of the signed-in user's own sessions (on this device or another). */
export function revokeOwnSession(deps: Deps, userId: string, sessionId: string, client: ClientInfo): void {
  const { db, clock } = deps;
  const now = clock.now();
  db.transaction((tx) => {
    revokeUserSession(tx, userId, sessionId, now);
    const user = getUser(deps, userId);
    appendAccountAudit(
      deps,
      tx,
      userId,
      userActor(user),
      { operation: "auth.revokeSession", target: user.name, detail: { ...whereFrom(client), sessionId } },
      now,
    );
  });
  deps.bus.publishRevocation(sessionId);
}

function findOpenReset(deps: Deps, token: string) {
  return deps.db
    .select()
    .from(passwordResets)
    .where(
      and(
        eq(passwordResets.tokenHash, sha256(token)),
        isNull(passwordResets.usedAt),
        gt(passwordResets.expiresAt, deps.clock.now()),
      ),
    )
    .get();
}

/**
 * Sets a new password with a one-time link an admin issued: the link is spent, every session of
 * the account ends (whoever held one), and the person is signed in afresh.
 */
export async function resetPassword(deps: Deps, input: ResetPasswordInput, client: ClientInfo): Promise<NewSession> {
  const { db, clock } = deps;
  const reset = findOpenReset(deps, input.token);
  if (!reset) throw new DomainError("FORBIDDEN", RESET_INVALID);
  const user = getUser(deps, reset.userId);
  await assertStrongPassword("password", input.password, [user.email, user.name]);
  const passwordHash = await hashPassword(input.password);
  const now = clock.now();
  const { session, ended } = db.transaction((tx) => {
    // Spent in the same transaction that uses it: two requests with one link cannot both succeed.
    const spent = tx
      .update(passwordResets)
      .set({ usedAt: now })
      .where(and(eq(passwordResets.id, reset.id), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, now)))
      .run();
    if (spent.changes === 0) throw new DomainError("FORBIDDEN", RESET_INVALID);
    tx.update(users).set({ passwordHash }).where(eq(users.id, user.id)).run();
    const ids = revokeAllUserSessions(tx, user.id, now);
    appendAccountAudit(
      deps,
      tx,
      user.id,
      userActor(user),
      {
        operation: "auth.resetPassword",
        target: user.name,
        detail: { ...whereFrom(client), resetId: reset.id, sessionsEnded: ids.length },
      },
      now,
    );
    return { session: startUserSession(deps, user, client, tx), ended: ids };
  });
  announceRevokedSessions(deps, ended);
  return session;
}

export function getUser({ db }: Deps, userId: string): User {
  const row = db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(eq(users.id, userId))
    .get();
  if (!row) throw new DomainError("UNAUTHORIZED", "Your account no longer exists");
  return row;
}

export function listMemberships({ db }: Deps, userId: string): Membership[] {
  return db
    .select({ projectId: projects.id, projectName: projects.name, role: memberships.role })
    .from(memberships)
    .innerJoin(projects, eq(projects.id, memberships.projectId))
    .where(eq(memberships.userId, userId))
    .orderBy(projects.name)
    .all();
}
