import { invites, memberships, projects, type DbOrTx } from "@tower/db";
import type { Actor, InviteCreateInput, Role } from "@tower/shared";
import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { appendAudit } from "../core/audit-chain";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { assertRoomForInvite } from "../core/project-caps";
import { newId, randomToken, sha256 } from "../core/tokens";

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
  db.transaction((tx) => {
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
  });
  return { id: row.id, token, role: row.role, expiresAt: row.expiresAt };
}

export function listInvites({ db, clock }: Deps, projectId: string) {
  return db
    .select({
      id: invites.id,
      role: invites.role,
      createdAt: invites.createdAt,
      expiresAt: invites.expiresAt,
    })
    .from(invites)
    .where(and(eq(invites.projectId, projectId), isNull(invites.acceptedAt), gt(invites.expiresAt, clock.now())))
    .orderBy(desc(invites.createdAt))
    .all();
}

export function revokeInvite(deps: Deps, projectId: string, id: string, actor: Actor): void {
  const { db, clock } = deps;
  const now = clock.now();
  db.transaction((tx) => {
    const result = tx
      .update(invites)
      .set({ expiresAt: now })
      .where(and(eq(invites.id, id), eq(invites.projectId, projectId), isNull(invites.acceptedAt)))
      .run();
    if (result.changes === 0) throw new DomainError("NOT_FOUND", "Invite not found or already used");
    appendAudit(deps, tx, projectId, actor, { operation: "invite.revoke", detail: { inviteId: id } }, now);
  });
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

export function acceptInviteTx(tx: DbOrTx, invite: Invite, userId: string, now: number): void {
  tx.update(invites).set({ acceptedAt: now, acceptedBy: userId }).where(eq(invites.id, invite.id)).run();
  // An existing member keeps the role they already have; an invite never demotes anyone.
  const existing = tx
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.projectId, invite.projectId), eq(memberships.userId, userId)))
    .get();
  if (existing) return;
  tx.insert(memberships).values({ projectId: invite.projectId, userId, role: invite.role, createdAt: now }).run();
}

export function acceptInvite({ db, clock }: Deps, token: string, userId: string): { projectId: string } {
  return db.transaction((tx) => {
    const invite = findOpenInvite(tx, token, clock.now());
    if (!invite) throw new DomainError("NOT_FOUND", "This invite link is invalid, used or expired");
    acceptInviteTx(tx, invite, userId, clock.now());
    return { projectId: invite.projectId };
  });
}
