import { projects, memberships, sessions, users } from "@tower/db";
import type { LogInInput, Membership, SignUpInput, User } from "@tower/shared";
import { and, count, eq, gt, isNull } from "drizzle-orm";
import type { Deps } from "../context";
import { DomainError } from "../errors";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./password";
import { acceptInviteTx, findOpenInvite } from "./invite-service";
import { newId, randomToken, sha256 } from "./tokens";
import { prepared, slot } from "./prepared";

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export interface NewSession {
  token: string;
  expiresAt: number;
  user: User;
}

export function hasAnyUser({ db }: Deps): boolean {
  return (db.select({ n: count() }).from(users).get()?.n ?? 0) > 0;
}

/**
 * The first account on a fresh install becomes owner of every existing project (the demo project),
 * or of a new one; every later account needs an invite.
 */
export async function signUp(deps: Deps, input: SignUpInput): Promise<NewSession> {
  const passwordHash = await hashPassword(input.password);
  const { db, clock } = deps;
  const now = clock.now();
  const userId = newId();
  db.transaction((tx) => {
    if (tx.select({ id: users.id }).from(users).where(eq(users.email, input.email)).get()) {
      throw new DomainError("CONFLICT", "An account with this email already exists");
    }
    const first = (tx.select({ n: count() }).from(users).get()?.n ?? 0) === 0;
    const invite = input.inviteToken ? findOpenInvite(tx, input.inviteToken, now) : undefined;
    if (!first && !invite) {
      throw new DomainError(
        "FORBIDDEN",
        input.inviteToken
          ? "This invite link is invalid, used or expired"
          : "Sign-up needs an invite link from a project admin",
      );
    }
    tx.insert(users).values({ id: userId, email: input.email, name: input.name, passwordHash, createdAt: now }).run();
    if (invite) acceptInviteTx(tx, invite, userId, now);
    if (first) {
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
          .values({ projectId: project.id, userId, role: "owner", createdAt: now })
          .onConflictDoNothing()
          .run();
      }
    }
  });
  return startSession(deps, { id: userId, email: input.email, name: input.name });
}

export async function logIn(deps: Deps, input: LogInInput): Promise<NewSession> {
  await deps.loginThrottle.consumeAttempt(input.email);
  const row = deps.db.select().from(users).where(eq(users.email, input.email)).get();
  const valid = row ? await verifyPassword(row.passwordHash, input.password) : await burnPasswordCheck(input.password);
  if (!row || !valid) throw new DomainError("UNAUTHORIZED", "Wrong email or password");
  await deps.loginThrottle.recordSuccess(input.email);
  return startSession(deps, { id: row.id, email: row.email, name: row.name });
}

function startSession({ db, clock }: Deps, user: User): NewSession {
  const token = randomToken();
  const now = clock.now();
  const expiresAt = now + SESSION_TTL_MS;
  db.insert(sessions)
    .values({ id: newId(), tokenHash: sha256(token), userId: user.id, createdAt: now, expiresAt })
    .run();
  return { token, expiresAt, user };
}

export function logOut({ db, clock, bus }: Deps, sessionId: string): void {
  db.update(sessions).set({ revokedAt: clock.now() }).where(eq(sessions.id, sessionId)).run();
  bus.publishRevocation(sessionId);
}

export function resolveSession({ db, clock }: Deps, token: string) {
  return prepared(db, "session.byToken", () =>
    db
      .select({ id: sessions.id, userId: sessions.userId })
      .from(sessions)
      .where(and(eq(sessions.tokenHash, slot("hash")), isNull(sessions.revokedAt), gt(sessions.expiresAt, slot("now"))))
      .prepare(),
  ).get({ hash: sha256(token), now: clock.now() });
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
