import { memberships, passwordResets, users, type DbOrTx } from "@tower/db";
import { hasRole, type Actor, type Member, type Role } from "@tower/shared";
import { and, asc, count, eq, gt, isNull } from "drizzle-orm";
import { membershipRevocationId } from "../core/access";
import { appendAudit } from "../core/audit-chain";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { newId, randomToken, sha256 } from "../core/tokens";
import { revokeInvitesOfTx } from "./invite-service";
import { peopleChange } from "./people-changes";
import { announceRevokedSessions, revokeAllUserSessions } from "./user-session-service";

/** A reset link is for the next few minutes, while the admin and the person are in touch. */
export const RESET_LINK_TTL_MS = 60 * 60_000;

/** The owner or admin acting on a member. */
export interface Manager {
  userId: string;
  role: Role;
}

/** The project's members; their emails only for owners and admins, who manage them. */
export function listMembers({ db }: Deps, projectId: string, viewerRole: Role | null): Member[] {
  const showEmails = viewerRole !== null && hasRole(viewerRole, "admin");
  return db
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      role: memberships.role,
      since: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.projectId, projectId))
    .orderBy(asc(users.name), asc(users.id))
    .all()
    .map((member) => (showEmails ? member : { ...member, email: null }));
}

function memberOf(tx: DbOrTx, projectId: string, userId: string) {
  const row = tx
    .select({ role: memberships.role, name: users.name })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.projectId, projectId), eq(memberships.userId, userId)))
    .get();
  if (!row) throw new DomainError("NOT_FOUND", "This person is not a member of this project");
  return row;
}

/** Owners manage everyone; an admin manages everyone but owners. */
function assertMayManage(by: Manager, target: { role: Role }) {
  if (target.role === "owner" && by.role !== "owner") {
    throw new DomainError("FORBIDDEN", "Only an owner can change or remove an owner");
  }
  if (!hasRole(by.role, "admin")) throw new DomainError("FORBIDDEN", "This needs the admin role or higher");
}

function ownerCount(tx: DbOrTx, projectId: string): number {
  return (
    tx
      .select({ n: count() })
      .from(memberships)
      .where(and(eq(memberships.projectId, projectId), eq(memberships.role, "owner")))
      .get()?.n ?? 0
  );
}

const LAST_OWNER = "A project needs an owner: make someone else owner first";

/** The members list changed (and the invites list, when the member's invites ended with it). */
function membersChanged(
  deps: Deps,
  tx: DbOrTx,
  projectId: string,
  userId: string,
  invitesRevoked: number,
  now: number,
) {
  const changes = [peopleChange(deps.state, tx, projectId, "members", userId, now)];
  if (invitesRevoked > 0) changes.push(peopleChange(deps.state, tx, projectId, "invites", userId, now));
  return changes;
}

/** Removes a member from the project; their open streams of it end at once. */
export function removeMember(deps: Deps, projectId: string, by: Manager, userId: string, actor: Actor): void {
  const { db, clock } = deps;
  const now = clock.now();
  const changes = db.transaction((tx) => {
    const target = memberOf(tx, projectId, userId);
    assertMayManage(by, target);
    if (target.role === "owner" && ownerCount(tx, projectId) <= 1) throw new DomainError("CONFLICT", LAST_OWNER);
    tx.delete(memberships)
      .where(and(eq(memberships.projectId, projectId), eq(memberships.userId, userId)))
      .run();
    const invitesRevoked = revokeInvitesOfTx(tx, projectId, userId, now);
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      {
        operation: "member.remove",
        target: target.name,
        detail: { userId, role: target.role, ...(invitesRevoked > 0 ? { invitesRevoked } : {}) },
      },
      now,
    );
    return membersChanged(deps, tx, projectId, userId, invitesRevoked, now);
  });
  publishChanges(deps, changes);
  deps.bus.publishRevocation(membershipRevocationId(projectId, userId));
}

/**
 * Changes a member's role. Only owners make owners or change an owner's role, and the last owner
 * cannot step down: a project always has someone who can manage everything in it.
 */
export function setMemberRole(
  deps: Deps,
  projectId: string,
  by: Manager,
  userId: string,
  role: Role,
  actor: Actor,
): { userId: string; role: Role } {
  const { db, clock } = deps;
  const now = clock.now();
  const changes = db.transaction((tx) => {
    const target = memberOf(tx, projectId, userId);
    if (target.role === role) return [];
    assertMayManage(by, target);
    if (role === "owner" && by.role !== "owner")
      throw new DomainError("FORBIDDEN", "Only an owner can make someone an owner");
    if (target.role === "owner" && ownerCount(tx, projectId) <= 1) throw new DomainError("CONFLICT", LAST_OWNER);
    tx.update(memberships)
      .set({ role })
      .where(and(eq(memberships.projectId, projectId), eq(memberships.userId, userId)))
      .run();
    // Only admins invite: below that, the invites they made no longer stand.
    const invitesRevoked = hasRole(role, "admin") ? 0 : revokeInvitesOfTx(tx, projectId, userId, now);
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      {
        operation: "member.setRole",
        target: target.name,
        detail: { userId, from: target.role, to: role, ...(invitesRevoked > 0 ? { invitesRevoked } : {}) },
      },
      now,
    );
    return membersChanged(deps, tx, projectId, userId, invitesRevoked, now);
  });
  publishChanges(deps, changes);
  // Streams the member has open check again what they may still see.
  if (changes.length > 0) deps.bus.publishRevocation(membershipRevocationId(projectId, userId));
  return { userId, role };
}

/** Signs a member out everywhere: every session of theirs ends, open streams included. */
export function revokeMemberSessions(
  deps: Deps,
  projectId: string,
  by: Manager,
  userId: string,
  actor: Actor,
): { sessionsEnded: number } {
  const { db, clock } = deps;
  const now = clock.now();
  const ended = db.transaction((tx) => {
    const target = memberOf(tx, projectId, userId);
    assertMayManage(by, target);
    const ids = revokeAllUserSessions(tx, userId, now);
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "member.revokeSessions", target: target.name, detail: { userId, sessionsEnded: ids.length } },
      now,
    );
    return ids;
  });
  announceRevokedSessions(deps, ended);
  return { sessionsEnded: ended.length };
}

/**
 * A reset link gives whoever holds it the account, with every role it has in every project. So the
 * issuer must manage the person in each of their projects (an admin there, an owner where they
 * are an owner), or an admin of one project could take over an owner of another.
 */
function assertManagesEverywhere(tx: DbOrTx, by: Manager, userId: string) {
  const theirs = tx
    .select({ projectId: memberships.projectId, role: memberships.role })
    .from(memberships)
    .where(eq(memberships.userId, userId))
    .all();
  const mine = new Map(
    tx
      .select({ projectId: memberships.projectId, role: memberships.role })
      .from(memberships)
      .where(eq(memberships.userId, by.userId))
      .all()
      .map((m) => [m.projectId, m.role]),
  );
  for (const membership of theirs) {
    const role = mine.get(membership.projectId);
    const manages = role !== undefined && hasRole(role, "admin") && (membership.role !== "owner" || role === "owner");
    if (!manages) {
      throw new DomainError(
        "FORBIDDEN",
        "This person also belongs to a project where you cannot manage them; an owner or admin of all their projects must issue the link",
      );
    }
  }
}

/**
 * A one-time link for a member to set a new password (shown once, valid for an hour, spent on
 * use); a new link replaces any earlier one. Only the token's hash is stored.
 */
export function createPasswordResetLink(
  deps: Deps,
  projectId: string,
  by: Manager,
  userId: string,
  actor: Actor,
): { token: string; expiresAt: number } {
  const { db, clock } = deps;
  if (userId === by.userId) {
    throw new DomainError("BAD_REQUEST", "Change your own password in Settings → Your account");
  }
  const token = randomToken();
  const now = clock.now();
  const row = {
    id: newId(),
    tokenHash: sha256(token),
    userId,
    createdBy: by.userId,
    createdAt: now,
    expiresAt: now + RESET_LINK_TTL_MS,
  };
  db.transaction((tx) => {
    const target = memberOf(tx, projectId, userId);
    assertMayManage(by, target);
    assertManagesEverywhere(tx, by, userId);
    tx.update(passwordResets)
      .set({ expiresAt: now })
      .where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, now)))
      .run();
    tx.insert(passwordResets).values(row).run();
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      {
        operation: "member.createResetLink",
        target: target.name,
        detail: { userId, resetId: row.id, expiresAt: row.expiresAt },
      },
      now,
    );
  });
  return { token, expiresAt: row.expiresAt };
}
