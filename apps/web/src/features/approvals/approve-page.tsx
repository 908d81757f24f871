"use client";
import Link from "next/link";
import { useState } from "react";
import { useProject } from "~/features/shell";
import { useNow } from "~/lib/approval-feed";
import { trpc } from "~/lib/trpc";
import { QueryView } from "~/ui/states";
import { PendingApprovalCard, RequestFacts, SettledLine } from "./approval-card";
import { DecisionFailure } from "./decision-failure";
import { statusOf } from "./format";
import { useApproverRole } from "./hooks";
import { ApprovalStatusBadge } from "./status";

/**
 * One request, decided with one tap: where an approval's notification leads (`/approve/<id>`),
 * made for a phone. It asks Tower for the request afresh (still pending? expired?), counts down
 * the time left, and follows it live: when someone else decides first, it shows their decision.
 */
export function ApprovePage({ id }: { id: string }) {
  const { current } = useProject();
  const projectId = current.projectId;
  const approval = trpc.approval.byId.useQuery({ projectId, id }, { staleTime: 0, refetchOnMount: "always" });
  const approver = useApproverRole(projectId, current.role);
  const now = useNow(1_000, approval.data?.status === "pending");
  const [failure, setFailure] = useState<unknown>(null);

  return (
    <section className="page approve-page">
      <div className="page-head">
        <h1>Approval request</h1>
      </div>
      <DecisionFailure error={failure} onDismiss={() => setFailure(null)} />
      <QueryView query={approval} loading="Loading the request…" failure="Could not load this request">
        {(request) => {
          const status = statusOf(request, now);
          if (status === "pending" || status === "expired")
            return (
              <>
                <PendingApprovalCard
                  projectId={projectId}
                  approval={request}
                  now={now}
                  canDecide={approver.canDecide}
                  onFailed={setFailure}
                />
                {approver.loaded && !approver.canDecide ? (
                  <p className="notice" role="note">
                    Only members with the <strong>{approver.approverRole}</strong> role or higher decide in this
                    project; you are {current.role}.
                  </p>
                ) : null}
              </>
            );
          return (
            <article className="card approval-card approval-settled" data-status={status} aria-labelledby="settled">
              <div className="approval-head">
                <h2 id="settled">
                  {request.agentName} → <code>{request.tool}</code>
                </h2>
                <ApprovalStatusBadge status={status} />
              </div>
              <p>
                <SettledLine approval={request} status={status} now={now} />
              </p>
              <RequestFacts approval={request} projectId={projectId} now={now} />
            </article>
          );
        }}
      </QueryView>
      <p>
        <Link href={`/approvals?project=${encodeURIComponent(projectId)}`}>All approvals</Link>
      </p>
    </section>
  );
}
