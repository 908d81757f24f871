"use client";
import Link from "next/link";
import { useMemo, useState } from "react";
import { useProject } from "~/features/shell";
import { useNow } from "~/lib/approval-feed";
import { Empty, QueryView } from "~/ui/states";
import { HistoryTable } from "./approval-history";
import { DecisionFailure } from "./decision-failure";
import { useApprovalList, useApproverRole } from "./hooks";
import { Inbox } from "./inbox";

const RECENT = 10;

/** An agent's page: its pending requests first (decidable there), then its recent approvals. */
export function AgentApprovals({ agentId }: { agentId: string }) {
  const { current } = useProject();
  const projectId = current.projectId;
  const approver = useApproverRole(projectId, current.role);
  const now = useNow(5_000);
  const filters = useMemo(() => ({ agentId }), [agentId]);
  const recent = useApprovalList(projectId, filters, RECENT);
  const decided = recent.items.filter((a) => a.status !== "pending" || a.expiresAt <= now);
  // A decision the server refused (someone else decided first, it expired), said above the inbox.
  const [failure, setFailure] = useState<unknown>(null);
  const historyHref = `/approvals?project=${encodeURIComponent(projectId)}&agentId=${encodeURIComponent(agentId)}`;

  return (
    <section className="card" aria-labelledby="agent-approvals-title">
      <h2 id="agent-approvals-title">Approvals</h2>
      <DecisionFailure error={failure} onDismiss={() => setFailure(null)} />
      <Inbox projectId={projectId} canDecide={approver.canDecide} agentId={agentId} onFailed={setFailure} />
      <h3>Recent</h3>
      <QueryView
        query={{ isPending: recent.query.isPending, error: recent.query.error, data: decided }}
        loading="Loading approvals…"
        failure="Could not load approvals"
        empty={<Empty line>No decided requests yet.</Empty>}
      >
        {(rows) => <HistoryTable rows={rows} now={now} onAgent={null} />}
      </QueryView>
      <p className="card-foot">
        <Link href={historyHref}>All of this agent&apos;s approvals</Link>
      </p>
    </section>
  );
}
