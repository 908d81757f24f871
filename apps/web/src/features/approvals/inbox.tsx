"use client";
import { useEffect } from "react";
import { useNow } from "~/lib/approval-feed";
import { trpc } from "~/lib/trpc";
import { Empty, QueryView } from "~/ui/states";
import { PendingApprovalCard, SettledApprovalCard } from "./approval-card";
import { statusOf } from "./format";
import { useInbox } from "./use-inbox";

/**
 * The live inbox: pending requests, the nearest deadline first, each with its countdown and (for
 * approvers) approve / deny; then the ones that left it while the page was open.
 */
export function Inbox({
  projectId,
  canDecide,
  onFailed,
  agentId,
}: {
  projectId: string;
  canDecide: boolean;
  onFailed?: (error: unknown) => void;
  agentId?: string;
}) {
  const inbox = useInbox(projectId, agentId);
  // The countdowns tick every second while anything is shown.
  const now = useNow(1_000, inbox.pending.length + inbox.settled.length > 0);
  const utils = trpc.useUtils();
  // A request that runs out of time leaves the count before any sweep says so.
  const expired = inbox.pending.filter((a) => statusOf(a, now) === "expired").length;
  useEffect(() => {
    if (expired > 0) void utils.approval.pendingCount.invalidate({ projectId });
  }, [expired, utils, projectId]);

  return (
    <QueryView
      query={{ isPending: inbox.query.isPending, error: inbox.query.error, data: inbox.pending }}
      loading="Loading pending approvals…"
      failure="Could not load pending approvals"
      isEmpty={(pending) => pending.length === 0 && inbox.settled.length === 0}
      empty={<Empty line>Nothing waits for a decision. New requests appear here as agents ask.</Empty>}
    >
      {(pending) => (
        <>
          {pending.length > 0 ? (
            <div className="approval-list" aria-label="Pending approvals" role="list">
              {pending.map((approval) => (
                <div role="listitem" key={approval.id}>
                  <PendingApprovalCard
                    projectId={projectId}
                    approval={approval}
                    now={now}
                    canDecide={canDecide}
                    onFailed={onFailed}
                  />
                </div>
              ))}
            </div>
          ) : (
            <Empty line>Nothing waits for a decision now.</Empty>
          )}
          {inbox.hasMore ? (
            <p className="muted">
              More requests wait than are shown: decide these first, or filter the history by “pending”.
            </p>
          ) : null}
          {inbox.settled.length > 0 ? (
            <>
              <h3 className="settled-title">Settled while you were here</h3>
              <div className="approval-list" aria-label="Settled approvals" role="list">
                {inbox.settled.map((approval) => (
                  <div role="listitem" key={approval.id}>
                    <SettledApprovalCard
                      projectId={projectId}
                      approval={approval}
                      now={now}
                      onDismiss={() => inbox.dismiss(approval.id)}
                    />
                  </div>
                ))}
              </div>
            </>
          ) : null}
        </>
      )}
    </QueryView>
  );
}
