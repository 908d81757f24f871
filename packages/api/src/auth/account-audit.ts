import { memberships, type DbOrTx } from "@tower/db";
import type { Actor } from "@tower/shared";
import { eq } from "drizzle-orm";
import { appendAudit, type AuditEntry } from "../core/audit-chain";
import type { Deps } from "../core/deps";

/**
 * Records something that happened to an account (a sign-in, a password change, a session ended)
 * in the audit trail of every project the account belongs to: the trail is per project, and each
 * project's admins should see what happens to the people who can act in it.
 */
export function appendAccountAudit(
  deps: Pick<Deps, "bus" | "clock" | "state">,
  tx: DbOrTx,
  userId: string,
  actor: Actor,
  entry: AuditEntry,
  at: number,
): void {
  const projects = tx
    .select({ projectId: memberships.projectId })
    .from(memberships)
    .where(eq(memberships.userId, userId))
    .all();
  for (const { projectId } of projects) appendAudit(deps, tx, projectId, actor, entry, at);
}
