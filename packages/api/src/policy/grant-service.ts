import { agents, policyGrants, type DbOrTx } from "@tower/db";
import type { Actor, ChangeEvent, PolicyGrant } from "@tower/shared";
import { and, desc, eq, gt, isNull, lt } from "drizzle-orm";
import type { ProjectAccess } from "../core/access";
import { appendAudit } from "../core/audit-chain";
import { publishChanges, recordChange } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";
import type { Deps } from "../core/deps";
import { DomainError, notFound } from "../core/errors";
import { prepared, slot } from "../core/prepared";
import { newId } from "../core/tokens";

type GrantRow = typeof policyGrants.$inferSelect;

function toGrant(tx: DbOrTx, row: GrantRow): PolicyGrant {
  const agent = tx.select({ name: agents.name }).from(agents).where(eq(agents.id, row.agentId)).get();
  const { createdById: _createdById, ...grant } = row;
  return { ...grant, agentName: agent?.name ?? "deleted agent" };
}

/** The grant letting this agent use this tool now, if any. */
export function activeGrant(
  state: ConnectionState,
  db: DbOrTx,
  agentId: string,
  tool: string,
  now: number,
): GrantRow | undefined {
  return prepared(state, "grants.active", () =>
    db
      .select()
      .from(policyGrants)
      .where(
        and(
          eq(policyGrants.agentId, slot("agentId")),
          eq(policyGrants.tool, slot("tool")),
          gt(policyGrants.expiresAt, slot("now")),
          isNull(policyGrants.revokedAt),
        ),
      )
      .limit(1)
      .prepare(),
  ).get({ agentId, tool, now });
}

/** Creates a grant inside the caller's transaction (an approver widening a yes); audited. */
export function createGrantTx(
  deps: Pick<Deps, "bus" | "clock" | "state">,
  tx: DbOrTx,
  grant: { projectId: string; agentId: string; tool: string; approvalId: string; minutes: number },
  actor: Actor,
  now: number,
): { row: GrantRow; event: ChangeEvent } {
  const row: GrantRow = {
    id: newId(),
    projectId: grant.projectId,
    agentId: grant.agentId,
    tool: grant.tool,
    approvalId: grant.approvalId,
    createdAt: now,
    expiresAt: now + grant.minutes * 60_000,
    createdById: actor.id,
    createdByName: actor.name,
    revokedAt: null,
    revokedByName: null,
  };
  tx.insert(policyGrants).values(row).run();
  appendAudit(
    deps,
    tx,
    grant.projectId,
    actor,
    {
      operation: "grant.created",
      target: grant.tool,
      agentId: grant.agentId,
      detail: { grantId: row.id, approvalId: grant.approvalId, minutes: grant.minutes, expiresAt: row.expiresAt },
    },
    now,
  );
  const event = recordChange(deps.state, tx, {
    projectId: grant.projectId,
    entity: "grant",
    op: "created",
    at: now,
    data: toGrant(tx, row),
  });
  return { row, event };
}

export function listGrants(
  { db, clock }: Deps,
  projectId: string,
  { active, agentId, limit, cursor }: { active: boolean; agentId?: string; limit: number; cursor?: string | null },
): { items: PolicyGrant[]; nextCursor: string | null } {
  const now = clock.now();
  const rows = db
    .select()
    .from(policyGrants)
    .where(
      and(
        eq(policyGrants.projectId, projectId),
        agentId ? eq(policyGrants.agentId, agentId) : undefined,
        active ? and(isNull(policyGrants.revokedAt), gt(policyGrants.expiresAt, now)) : undefined,
        cursor ? lt(policyGrants.id, cursor) : undefined,
      ),
    )
    .orderBy(desc(policyGrants.id))
    .limit(limit + 1)
    .all();
  const items = rows.slice(0, limit).map((row) => toGrant(db, row));
  return { items, nextCursor: rows.length > limit ? items.at(-1)!.id : null };
}

/** Ends a grant now; audited. Revoking one already revoked or expired is refused with the reason. */
export function revokeGrant(deps: Deps, access: ProjectAccess, id: string, actor: Actor): PolicyGrant {
  const now = deps.clock.now();
  let event: ChangeEvent | null = null;
  const grant = deps.db.transaction((tx) => {
    const row = tx
      .select()
      .from(policyGrants)
      .where(and(eq(policyGrants.projectId, access.projectId), eq(policyGrants.id, id)))
      .get();
    if (!row) throw notFound("Grant");
    if (row.revokedAt !== null) {
      throw new DomainError("CONFLICT", `This grant was already revoked by ${row.revokedByName ?? "someone"}`);
    }
    if (row.expiresAt <= now) throw new DomainError("CONFLICT", "This grant has already expired");
    const revoked = { ...row, revokedAt: now, revokedByName: actor.name };
    tx.update(policyGrants)
      .set({ revokedAt: now, revokedByName: actor.name })
      .where(and(eq(policyGrants.id, id), isNull(policyGrants.revokedAt)))
      .run();
    appendAudit(
      deps,
      tx,
      access.projectId,
      actor,
      {
        operation: "grant.revoked",
        target: row.tool,
        agentId: row.agentId,
        detail: { grantId: id },
      },
      now,
    );
    const data = toGrant(tx, revoked);
    event = recordChange(deps.state, tx, {
      projectId: access.projectId,
      entity: "grant",
      op: "updated",
      at: now,
      data,
    });
    return data;
  });
  publishChanges(deps, [event]);
  return grant;
}
