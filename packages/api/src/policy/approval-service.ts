import { approvals, type DbOrTx } from "@tower/db";
import { hasRole, type Actor, type Approval, type ApprovalStatus, type ChangeEvent } from "@tower/shared";
import { and, asc, count, desc, eq, gt, lt, lte, or, type SQL } from "drizzle-orm";
import { assertActsAs, type ProjectAccess } from "../core/access";
import { SYSTEM_ACTOR } from "../core/actor";
import { appendAudit } from "../core/audit-chain";
import { publishChanges } from "../core/change-feed";
import type { Caller, Deps } from "../core/deps";
import { DomainError, notFound } from "../core/errors";
import { approvalChange, toApproval, type ApprovalRow } from "./approval-rows";
import { createGrantTx } from "./grant-service";
import { policyInForce } from "./policy-store";

const time = (at: number) => new Date(at).toISOString().replace(/\.\d+Z$/, "Z");

function requireApproval(tx: DbOrTx, projectId: string, id: string): ApprovalRow {
  const row = tx
    .select()
    .from(approvals)
    .where(and(eq(approvals.projectId, projectId), eq(approvals.id, id)))
    .get();
  if (!row) throw notFound("Approval");
  return row;
}

/** Why a decision on this approval comes too late: it was decided, cancelled or has expired. */
function alreadySettled(row: ApprovalRow, now: number): DomainError {
  const status = toApproval(row, now).status;
  if (status === "expired") return new DomainError("CONFLICT", `This approval expired at ${time(row.expiresAt)}`);
  if (status === "cancelled") return new DomainError("CONFLICT", "This request was cancelled by the agent");
  return new DomainError(
    "CONFLICT",
    `This approval was already ${status} by ${row.deciderName ?? "someone"} at ${time(row.decidedAt ?? now)}`,
  );
}

const statusFilter = (status: ApprovalStatus | undefined, now: number): SQL | undefined => {
  if (status === "pending") return and(eq(approvals.status, "pending"), gt(approvals.expiresAt, now));
  // Expired: swept, or pending past its expiry and not swept yet.
  if (status === "expired") {
    return or(eq(approvals.status, "expired"), and(eq(approvals.status, "pending"), lte(approvals.expiresAt, now)));
  }
  return status ? eq(approvals.status, status) : undefined;
};

export function listApprovals(
  { db, clock }: Deps,
  projectId: string,
  input: { status?: ApprovalStatus; agentId?: string; limit: number; cursor?: string | null },
): { items: Approval[]; nextCursor: string | null } {
  const now = clock.now();
  const where = and(
    eq(approvals.projectId, projectId),
    statusFilter(input.status, now),
    input.agentId ? eq(approvals.agentId, input.agentId) : undefined,
    input.cursor ? lt(approvals.id, input.cursor) : undefined,
  );
  const rows: ApprovalRow[] = db
    .select()
    .from(approvals)
    .where(where)
    .orderBy(desc(approvals.id))
    .limit(input.limit + 1)
    .all();
  const items = rows.slice(0, input.limit).map((row) => toApproval(row, now));
  return { items, nextCursor: rows.length > input.limit ? items.at(-1)!.id : null };
}

export function getApproval({ db, clock }: Deps, access: ProjectAccess, id: string): Approval {
  const approval = toApproval(requireApproval(db, access.projectId, id), clock.now());
  assertActsAs(access, approval.agentName);
  return approval;
}

/** Pending and not expired: the count the navigation shows. */
export function countPendingApprovals({ db, clock }: Deps, projectId: string): { pending: number } {
  const row = db
    .select({ pending: count() })
    .from(approvals)
    .where(
      and(eq(approvals.projectId, projectId), eq(approvals.status, "pending"), gt(approvals.expiresAt, clock.now())),
    )
    .get();
  return { pending: row?.pending ?? 0 };
}

/**
 * A person approves or denies. Only signed-in members with at least the policy's approver role
 * decide (API keys never do, whatever their scope); the first decision wins and a second is told
 * who decided and when. Approving may widen the yes to a grant (this agent, this tool, N minutes).
 */
export function decideApproval(
  deps: Deps,
  access: ProjectAccess,
  caller: Caller,
  input: { id: string; decision: "approve" | "deny"; comment: string; grantMinutes?: number },
  actor: Actor,
): Approval {
  if (caller.kind !== "user") {
    throw new DomainError(
      "FORBIDDEN",
      "Approvals are decided by people: sign in to the dashboard (API keys never approve)",
    );
  }
  const { approverRole } = policyInForce(deps, access.projectId).document;
  if (!access.role || !hasRole(access.role, approverRole)) {
    throw new DomainError(
      "FORBIDDEN",
      `Deciding approvals needs the ${approverRole} role or higher; you are ${access.role}`,
    );
  }
  if (input.grantMinutes !== undefined && input.decision !== "approve") {
    throw new DomainError("BAD_REQUEST", "Only an approval can be widened to a grant", { field: "grantMinutes" });
  }
  const now = deps.clock.now();
  const events: ChangeEvent[] = [];
  const approval = deps.db.transaction((tx) => {
    const row = requireApproval(tx, access.projectId, input.id);
    // Two people, not one: who asked on the agent's behalf does not also say yes (or no) to it.
    if (row.requestedById !== null && row.requestedById === caller.userId) {
      throw new DomainError(
        "FORBIDDEN",
        `You asked for this on ${row.agentName}'s behalf: another approver decides it (or cancel it)`,
      );
    }
    const status = input.decision === "approve" ? "approved" : "denied";
    const decided = tx
      .update(approvals)
      .set({ status, decidedAt: now, deciderId: actor.id, deciderName: actor.name, comment: input.comment })
      .where(and(eq(approvals.id, row.id), eq(approvals.status, "pending"), gt(approvals.expiresAt, now)))
      .returning()
      .get();
    if (!decided) throw alreadySettled(row, now);
    let final = decided;
    if (input.grantMinutes !== undefined) {
      const grant = createGrantTx(
        deps,
        tx,
        {
          projectId: row.projectId,
          agentId: row.agentId,
          tool: row.tool,
          approvalId: row.id,
          minutes: input.grantMinutes,
        },
        actor,
        now,
      );
      events.push(grant.event);
      final = tx.update(approvals).set({ grantId: grant.row.id }).where(eq(approvals.id, row.id)).returning().get()!;
    }
    appendAudit(
      deps,
      tx,
      row.projectId,
      actor,
      {
        operation: `approval.${status}`,
        target: row.tool,
        decision: status === "approved" ? "allowed" : "denied",
        agentId: row.agentId,
        sessionId: row.sessionId,
        detail: {
          approvalId: row.id,
          inputHash: row.inputHash,
          comment: input.comment,
          grantMinutes: input.grantMinutes ?? null,
        },
      },
      now,
    );
    events.push(approvalChange(deps.state, tx, final, "updated", now));
    return toApproval(final, now);
  });
  publishChanges(deps, events);
  return approval;
}

/** The agent withdraws its request (or an operator does for it); a decided one cannot be. */
export function cancelApproval(deps: Deps, access: ProjectAccess, id: string, actor: Actor): Approval {
  const now = deps.clock.now();
  let event: ChangeEvent | null = null;
  const approval = deps.db.transaction((tx) => {
    const row = requireApproval(tx, access.projectId, id);
    assertActsAs(access, row.agentName);
    const cancelled = tx
      .update(approvals)
      .set({ status: "cancelled", decidedAt: now, deciderId: actor.id, deciderName: actor.name })
      .where(and(eq(approvals.id, id), eq(approvals.status, "pending"), gt(approvals.expiresAt, now)))
      .returning()
      .get();
    if (!cancelled) throw alreadySettled(row, now);
    appendAudit(
      deps,
      tx,
      row.projectId,
      actor,
      {
        operation: "approval.cancelled",
        target: row.tool,
        agentId: row.agentId,
        sessionId: row.sessionId,
        detail: { approvalId: id },
      },
      now,
    );
    event = approvalChange(deps.state, tx, cancelled, "updated", now);
    return toApproval(cancelled, now);
  });
  publishChanges(deps, [event]);
  return approval;
}

const SWEEP_PAGE = 500;

/**
 * Marks pending approvals past their expiry as expired (Tower's act, audited as such; never a
 * person's denial). Their status already reads "expired" before this runs; the sweep records it.
 */
export function expireApprovals(deps: Deps, only?: { projectId: string; id: string }): { expired: number } {
  const now = deps.clock.now();
  const events: ChangeEvent[] = [];
  const dueWhere = and(
    eq(approvals.status, "pending"),
    lte(approvals.expiresAt, now),
    only ? and(eq(approvals.projectId, only.projectId), eq(approvals.id, only.id)) : undefined,
  );
  // Looked for outside a transaction first: usually there are none, and a write transaction on the
  // event loop waits for the ingest writer's commit in progress (see WriteGate).
  if (!deps.db.select({ id: approvals.id }).from(approvals).where(dueWhere).limit(1).get()) return { expired: 0 };
  deps.db.transaction((tx) => {
    const due = tx.select().from(approvals).where(dueWhere).orderBy(asc(approvals.expiresAt)).limit(SWEEP_PAGE).all();
    for (const row of due) {
      const expired = tx
        .update(approvals)
        .set({ status: "expired", decidedAt: row.expiresAt })
        .where(and(eq(approvals.id, row.id), eq(approvals.status, "pending")))
        .returning()
        .get()!;
      appendAudit(
        deps,
        tx,
        row.projectId,
        SYSTEM_ACTOR,
        {
          operation: "approval.expired",
          target: row.tool,
          agentId: row.agentId,
          sessionId: row.sessionId,
          detail: { approvalId: row.id, expiresAt: row.expiresAt },
        },
        now,
      );
      events.push(approvalChange(deps.state, tx, expired, "updated", now));
    }
  });
  publishChanges(deps, events);
  return { expired: events.length };
}
