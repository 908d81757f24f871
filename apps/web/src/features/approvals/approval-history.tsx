"use client";
import type { Approval } from "@tower/shared";
import { APPROVAL_STATUSES } from "@tower/shared/domain";
import { useNow } from "~/lib/approval-feed";
import { FilterSelect, plainOptions } from "~/ui/filter-select";
import { Empty, Loading, QueryView } from "~/ui/states";
import { SettledLine, InputPreview } from "./approval-card";
import { ago, statusOf } from "./format";
import { useApprovalList } from "./hooks";
import { ApprovalStatusBadge } from "./status";
import type { ApprovalFilterState } from "./use-approval-filters";

/** Status and agent filters (in the URL); the agent is chosen from a row ("only this agent"). */
function HistoryFilters({ filters, agentName }: { filters: ApprovalFilterState; agentName: string | null }) {
  return (
    <div className="filters approval-filters">
      <FilterSelect
        id="approval-status"
        label="Status"
        value={filters.view.status}
        options={plainOptions(APPROVAL_STATUSES)}
        anyLabel="Any status"
        onChange={(status) => filters.set({ status })}
      />
      {filters.view.agentId ? (
        <p className="filter-chip">
          Agent: <strong>{agentName ?? filters.view.agentId}</strong>{" "}
          <button type="button" className="link-button" onClick={() => filters.set({ agentId: "" })}>
            Any agent
          </button>
        </p>
      ) : (
        <p className="muted filter-hint">Choose an agent&apos;s name in a row to see only its requests.</p>
      )}
      {filters.filtered ? (
        <button type="button" className="link-button" onClick={filters.clear}>
          Clear filters
        </button>
      ) : null}
    </div>
  );
}

/** Approvals as rows; `onAgent` makes the agent's name a filter, and without it (one agent's page) the column is left out. */
function HistoryTable({
  rows,
  now,
  onAgent,
}: {
  rows: Approval[];
  now: number;
  onAgent: ((agentId: string) => void) | null;
}) {
  const showAgent = onAgent !== null;
  return (
    <div className="table-wrap">
      <table aria-label="Approval history">
        <thead>
          <tr>
            <th scope="col">Asked</th>
            {showAgent ? <th scope="col">Agent</th> : null}
            <th scope="col">Request</th>
            <th scope="col">Rule</th>
            <th scope="col">Status</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => {
            const status = statusOf(a, now);
            return (
              <tr key={a.id} data-approval={a.id} data-status={status}>
                <td data-label="Asked">
                  <time dateTime={new Date(a.createdAt).toISOString()} title={new Date(a.createdAt).toLocaleString()}>
                    {ago(a.createdAt, now)}
                  </time>
                </td>
                {onAgent ? (
                  <td data-label="Agent">
                    <button
                      type="button"
                      className="link-button"
                      title={`Only ${a.agentName}'s requests`}
                      onClick={() => onAgent(a.agentId)}
                    >
                      {a.agentName}
                    </button>
                  </td>
                ) : null}
                <td data-label="Request">
                  <code>{a.tool}</code> <span className="muted">{a.operation}</span>
                  {a.path ? (
                    <>
                      {" "}
                      <code>{a.path}</code>
                    </>
                  ) : null}
                  {Object.keys(a.input).length > 0 ? (
                    <div>
                      <InputPreview input={a.input} />
                    </div>
                  ) : null}
                </td>
                <td data-label="Rule">{a.ruleId ? <code>{a.ruleId}</code> : <span className="muted">default</span>}</td>
                <td data-label="Status">
                  <ApprovalStatusBadge status={status} />
                </td>
                <td data-label="Outcome">
                  <SettledLine approval={a} status={status} now={now} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Every approval, newest first, filtered by status and agent, in keyset pages. */
export function ApprovalHistory({ projectId, filters }: { projectId: string; filters: ApprovalFilterState }) {
  const { query, items } = useApprovalList(projectId, filters.filters);
  // Coarser than the inbox's: a pending row here turns "expired" within seconds, and a long table is not redrawn every second.
  const now = useNow(5_000);
  const agentName = filters.view.agentId
    ? (items.find((a) => a.agentId === filters.view.agentId)?.agentName ?? null)
    : null;
  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <HistoryFilters filters={filters} agentName={agentName} />
      <QueryView
        query={{ isPending: query.isPending, error: query.error, data: items }}
        loading="Loading approvals…"
        failure="Could not load approvals"
        empty={<Empty line>{filters.filtered ? "No approvals match these filters." : "No approvals yet."}</Empty>}
      >
        {(rows) => <HistoryTable rows={rows} now={now} onAgent={(agentId) => filters.set({ agentId })} />}
      </QueryView>
      {query.hasNextPage ? (
        <div className="load-more">
          <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
            {query.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}
      {query.isFetchingNextPage ? <Loading label="Loading older approvals…" /> : null}
    </section>
  );
}

export { HistoryTable };
