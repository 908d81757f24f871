"use client";
import { hasRole } from "@tower/shared/domain";
import { useState } from "react";
import { useProject } from "~/features/shell";
import { ApprovalHistory } from "./approval-history";
import { DecisionFailure } from "./decision-failure";
import { ActiveGrants } from "./grants";
import { useApproverRole } from "./hooks";
import { Inbox } from "./inbox";
import { useApprovalFilters } from "./use-approval-filters";

/** Approvals: the live inbox of pending requests, the history (filters in the URL) and the grants in force. */
export function ApprovalsPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const approver = useApproverRole(projectId, current.role);
  const filters = useApprovalFilters();
  const [failure, setFailure] = useState<unknown>(null);

  return (
    <section className="page approvals">
      <div className="page-head">
        <h1>Approvals</h1>
      </div>
      {approver.loaded && !approver.canDecide ? (
        <p className="notice" role="note">
          You can follow approvals here but not decide them: this project&apos;s policy lets members with the{" "}
          <strong>{approver.approverRole}</strong> role or higher decide, and you are {current.role}.
        </p>
      ) : null}
      <DecisionFailure error={failure} onDismiss={() => setFailure(null)} />
      <section className="card inbox" aria-labelledby="inbox-title">
        <h2 id="inbox-title">Waiting for a decision</h2>
        <Inbox projectId={projectId} canDecide={approver.canDecide} onFailed={setFailure} />
      </section>
      <ActiveGrants projectId={projectId} canRevoke={hasRole(current.role, "operator")} />
      <ApprovalHistory projectId={projectId} filters={filters} />
    </section>
  );
}
