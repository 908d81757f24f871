import { invites, memberships, projects, users, type DbOrTx } from "@tower/db";
import type { Actor, ChangeEvent, InviteCreateInput, Role } from "@tower/shared";
import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { appendAudit } from "../core/audit-chain";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { assertRoomForInvite } from "../core/project-caps";
import { newId, randomToken, sha256 } from "../core/tokens";
import { peopleChange } from "./people-changes";

type Invite = typeof invites.$inferSelect;

export function createInvite(deps: Deps, projectId: string, createdBy: string, input: InviteCreateInput, actor: Actor) {
  const { db, clock } = deps;
  const token = randomToken();
  const now = clock.now();
  const row = {
    id: newId(),
    tokenHash: sha256(token),
    projectId,
    role: input.role,
    createdBy,
    createdAt: now,
    expiresAt: now + input.expiresInHours * 3_600_000,
  };
  const change = db.transaction((tx) => {
    assertRoomForInvite(tx, projectId, now);
    tx.insert(invites).values(row).run();
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "invite.create", target: row.role, detail: { inviteId: row.id } },
      now,
    );
    return peopleChange(deps.state, tx, projectId, "invites", row.id, now);
  });
  publishChanges(deps, [change]);
  return { id: row.id, token, role: row.role, expiresAt: row.expiresAt };
}

/** The invites still open, newest first, each with who made it (whose authority it carries). */
export function listInvites({ db, clock }: Deps, projectId: string) {
  return db
    .select({
      id: invites.id,
      role: invites.role,
      createdAt: invites.createdAt,
      expiresAt: invites.expiresAt,
      createdByName: users.name,
    })
    .from(invites)
    .innerJoin(users, eq(users.id, invites.createdBy))
    .where(and(eq(invites.projectId, projectId), isNull(invites.acceptedAt), gt(invites.expiresAt, clock.now())))
    .orderBy(desc(invites.createdAt))
    .all();
}

export function revokeInvite(deps: Deps, projectId: string, id: string, actor: Actor): void {
  const { db, clock } = deps;
  const now = clock.now();
  const change = db.transaction((tx) => {
    const result = tx
      .update(invites)
      .set({ expiresAt: now })
      .where(and(eq(invites.id, id), eq(invites.projectId, projectId), isNull(invites.acceptedAt)))
      .run();
    if (result.changes === 0) throw new DomainError("NOT_FOUND", "Invite not found or already used");
    appendAudit(deps, tx, projectId, actor, { operation: "invite.revoke", detail: { inviteId: id } }, now);
    return peopleChange(deps.state, tx, projectId, "invites", id, now);
  });
  publishChanges(deps, [change]);
}

/**
 * Ends the open invites `userId` made in the project: they are removed from it, or no longer admin.
 * An invite carries its maker's authority; left open, it would let them (who hold the link) back in.
 */
export function revokeInvitesOfTx(tx: DbOrTx, projectId: string, userId: string, now: number): number {
  return tx
    .update(invites)
    .set({ expiresAt: now })
    .where(
      and(
        eq(invites.projectId, projectId),
        eq(invites.createdBy, userId),
        isNull(invites.acceptedAt),
        gt(invites.expiresAt, now),
      ),
    )
    .run().changes;
}

export function findOpenInvite(db: DbOrTx, token: string, now: number): Invite | undefined {
  return db
    .select()
    .from(invites)
    .where(and(eq(invites.tokenHash, sha256(token)), isNull(invites.acceptedAt), gt(invites.expiresAt, now)))
    .get();
}

/** What an invite link offers, shown before sign-up; nothing secret. */
export function previewInvite({ db, clock }: Deps, token: string): { projectName: string; role: Role } {
  const invite = findOpenInvite(db, token, clock.now());
  if (!invite) throw new DomainError("NOT_FOUND", "This invite link is invalid, used or expired");
  const project = db.select({ name: projects.name }).from(projects).where(eq(projects.id, invite.projectId)).get();
  return { projectName: project?.name ?? "", role: invite.role };
}

/**
 * Uses the invite: the person joins with its role (a member already keeps theirs: an invite never
 * demotes anyone), recorded in the project's trail with the invite and who made it. Returns the
 * changes to Settings' lists, to publish once committed.
 */
export function acceptInviteTx(
  deps: Deps,
  tx: DbOrTx,
  invite: Invite,
  user: Actor & { id: string },
  now: number,
): ChangeEvent[] {
  tx.update(invites).set({ acceptedAt: now, acceptedBy: user.id }).where(eq(invites.id, invite.id)).run();
  const existing = tx
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.projectId, invite.projectId), eq(memberships.userId, user.id)))
    .get();
  if (!existing) {
    tx.insert(memberships)
      .values({ projectId: invite.projectId, userId: user.id, role: invite.role, createdAt: now })
      .run();
  }
  const maker = tx.select({ name: users.name }).from(users).where(eq(users.id, invite.createdBy)).get();
  appendAudit(
    deps,
    tx,
    invite.projectId,
    user,
    {
      operation: "member.join",
      target: user.name,
      detail: {
        inviteId: invite.id,
        role: existing?.role ?? invite.role,
        ...(existing ? { alreadyMember: true } : {}),
        invitedBy: { id: invite.createdBy, name: maker?.name ?? "deleted user" },
      },
    },
    now,
  );
  return [
    peopleChange(deps.state, tx, invite.projectId, "invites", invite.id, now),
    peopleChange(deps.state, tx, invite.projectId, "members", user.id, now),
  ];
}

export function acceptInvite(deps: Deps, token: string, user: Actor & { id: string }): { projectId: string } {
  const { db, clock } = deps;
  const { projectId, changes } = db.transaction((tx) => {
    const invite = findOpenInvite(tx, token, clock.now());
    if (!invite) throw new DomainError("NOT_FOUND", "This invite link is invalid, used or expired");
    return { projectId: invite.projectId, changes: acceptInviteTx(deps, tx, invite, user, clock.now()) };
  });
  publishChanges(deps, changes);
  return { projectId };
}
