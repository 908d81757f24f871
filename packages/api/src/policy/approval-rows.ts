import { approvals, type DbOrTx } from "@tower/db";
import { approvalStatusAt, type Approval, type ChangeEvent } from "@tower/shared";
import { and, count, eq, gt, inArray } from "drizzle-orm";
import { recordChange } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";
import { prepared, slot } from "../core/prepared";

export type ApprovalRow = typeof approvals.$inferSelect;

/** An approval as clients see it at `now` (a pending one past its expiry reads "expired"). */
export function toApproval({ usedAt: _usedAt, usedByCheck: _usedByCheck, ...row }: ApprovalRow, now: number): Approval {
  return { ...row, status: approvalStatusAt(row, now) };
}

export function approvalChange(
  state: ConnectionState,
  tx: DbOrTx,
  row: ApprovalRow,
  op: "created" | "updated",
  now: number,
): ChangeEvent {
  return recordChange(state, tx, {
    projectId: row.projectId,
    entity: "approval",
    op,
    at: now,
    data: toApproval(row, now),
  });
}

/**
 * The approval that already answers this request, if any: one this very check used (`checkId`,
 * asked again: the same answer), one still pending (asked again, it is the same approval), or one
 * approved and not yet used. An approved one counts within its lifetime after the decision.
 */
export function findOpenApproval(
  state: ConnectionState,
  db: DbOrTx,
  request: { agentId: string; inputHash: string; checkId: string | undefined },
  now: number,
): ApprovalRow | undefined {
  const rows = prepared(state, "approvals.open", () =>
    db
      .select()
      .from(approvals)
      .where(
        and(
          eq(approvals.agentId, slot("agentId")),
          eq(approvals.inputHash, slot("inputHash")),
          inArray(approvals.status, ["pending", "approved"]),
        ),
      )
      .prepare(),
  ).all({ agentId: request.agentId, inputHash: request.inputHash });
  const inLifetime = (row: ApprovalRow) =>
    row.decidedAt !== null && now < row.decidedAt + (row.expiresAt - row.createdAt);
  const { checkId } = request;
  if (checkId !== undefined) {
    const usedByThisCheck = rows.find((row) => row.usedByCheck === checkId && inLifetime(row));
    if (usedByThisCheck) return usedByThisCheck;
  }
  return rows.find((row) => (row.status === "pending" ? row.expiresAt > now : row.usedAt === null && inLifetime(row)));
}

/** Approvals of the agent waiting for a person now (pending, not expired). */
export function pendingApprovalsOf(state: ConnectionState, db: DbOrTx, agentId: string, now: number): number {
  const row = prepared(state, "approvals.pendingOfAgent", () =>
    db
      .select({ n: count() })
      .from(approvals)
      .where(
        and(
          eq(approvals.agentId, slot("agentId")),
          eq(approvals.status, "pending"),
          gt(approvals.expiresAt, slot("now")),
        ),
      )
      .prepare(),
  ).get({ agentId, now });
  return row?.n ?? 0;
}
