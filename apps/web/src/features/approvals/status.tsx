import type { ApprovalStatus } from "@tower/shared";

/** An approval's status as a badge; "expired" is its own word and colour, never "denied". */
export function ApprovalStatusBadge({ status }: { status: ApprovalStatus }) {
  return (
    <span className={`badge approval-${status}`} data-status={status}>
      {status}
    </span>
  );
}
