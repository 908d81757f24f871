import { approvals, changes, memberships, projects, pushSubscriptions } from "@tower/db";
import { ROLE_RANK, ROLES, type AgentStatus, type PushKind, type Role } from "@tower/shared";
import { and, desc, eq, gt, inArray, lt } from "drizzle-orm";
import type { Deps } from "../core/deps";
import { WANTS_COLUMN, type PushSubscriptionRow } from "./push-rows";

/**
 * The subscriptions a notification of `kind` in `projectId` goes to: every device, with that kind
 * turned on, of every member whose role there is at least `minimum`.
 */
export function recipients(
  { db }: Pick<Deps, "db">,
  projectId: string,
  kind: PushKind,
  minimum: Role,
): PushSubscriptionRow[] {
  const roles = ROLES.filter((role) => ROLE_RANK[role] >= ROLE_RANK[minimum]);
  return db
    .select({ subscription: pushSubscriptions })
    .from(memberships)
    .innerJoin(pushSubscriptions, eq(pushSubscriptions.userId, memberships.userId))
    .where(and(eq(memberships.projectId, projectId), inArray(memberships.role, roles), eq(WANTS_COLUMN[kind], true)))
    .all()
    .map((row) => row.subscription);
}

export function projectName({ db }: Pick<Deps, "db">, projectId: string): string {
  return db.select({ name: projects.name }).from(projects).where(eq(projects.id, projectId)).get()?.name ?? "a project";
}

/** Whether the approval still waits for a person: once decided, cancelled or expired, nothing more is sent. */
export function approvalStillPending({ db, clock }: Pick<Deps, "db" | "clock">, id: string): boolean {
  const row = db
    .select({ id: approvals.id })
    .from(approvals)
    .where(and(eq(approvals.id, id), eq(approvals.status, "pending"), gt(approvals.expiresAt, clock.now())))
    .get();
  return row !== undefined;
}

/**
 * The agent's status in its change just before `beforeId`, from the change feed (what the notifier
 * reads when it has not seen the agent since it started); null when there is none.
 */
export function previousAgentStatus(
  { db }: Pick<Deps, "db">,
  projectId: string,
  agentId: string,
  beforeId: string,
): AgentStatus | null {
  const row = db
    .select({ data: changes.data })
    .from(changes)
    .where(
      and(
        eq(changes.projectId, projectId),
        eq(changes.entity, "agent"),
        eq(changes.entityId, agentId),
        lt(changes.id, Number(beforeId)),
      ),
    )
    .orderBy(desc(changes.id))
    .limit(1)
    .get();
  return (row?.data as { status?: AgentStatus } | undefined)?.status ?? null;
}
