"use client";
import type { AuditEvent } from "@tower/shared";
import { hasRole } from "@tower/shared/domain";
import { useCallback, useMemo, useState } from "react";
import { useProject } from "~/features/shell";
import { count, plural } from "~/lib/format";
import { lazyComponent } from "~/ui/lazy";
import { Empty, Loading, QueryView } from "~/ui/states";
import { AuditFilterForm } from "./audit-filter-form";
import { AuditRows } from "./audit-rows";
import { useAuditFacets, useAuditTrail } from "./hooks";
import { useAuditFilters } from "./use-audit-filters";
import { VerifyChain } from "./verify-chain";

// A row's detail opens on a click; its code loads then, not with the page.
const Drawer = lazyComponent(() => import("./drawer").then((m) => m.Drawer));

/** The audit trail: filters (in the URL), a windowed table with keyset paging, a pausable live tail, chain verification. */
export function AuditPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const filters = useAuditFilters();
  const [paused, setPaused] = useState(false);
  const [selected, setSelected] = useState<AuditEvent | null>(null);

  const { query, rows, waiting, showWaiting } = useAuditTrail(projectId, filters.filters, paused);
  const facets = useAuditFacets(projectId);
  const agentNames = useMemo(
    () => new Map((facets.data?.byAgent ?? []).map((a) => [a.agentId, a.agentName])),
    [facets.data],
  );
  const agentOf = (row: AuditEvent) =>
    row.agentId ? (agentNames.get(row.agentId) ?? (row.actorType === "agent" ? row.actorName : row.agentId)) : null;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  return (
    <section className="page audit">
      <div className="page-head">
        <h1>Audit trail</h1>
        {/* Verifying reads the whole trail: the server allows it to admins only. */}
        {hasRole(current.role, "admin") ? <VerifyChain projectId={projectId} /> : null}
      </div>

      <AuditFilterForm
        filters={filters}
        operations={(facets.data?.byOperation ?? []).map((o) => o.operation)}
        agents={facets.data?.byAgent ?? []}
      />

      <div className="list-head">
        <label className="check tail-toggle">
          <input type="checkbox" checked={paused} onChange={(e) => setPaused(e.target.checked)} />
          Pause live tail
        </label>
        {paused && waiting > 0 ? (
          <button type="button" className="primary" onClick={showWaiting}>
            Show {count(waiting)} new
          </button>
        ) : null}
        <span className="muted" aria-live="polite">
          {paused ? `Paused${waiting > 0 ? ` · ${count(waiting)} new waiting` : ""}` : "Live"} ·{" "}
          {plural(rows.length, "row")} loaded{query.hasNextPage ? ", more as you scroll" : ""}
        </span>
        {filters.filtered ? (
          <button type="button" className="link-button" onClick={filters.clear}>
            Clear filters
          </button>
        ) : null}
      </div>

      <QueryView
        query={{ isPending: query.isPending, error: query.error, data: rows }}
        loading="Loading audit trail…"
        failure="Could not load the audit trail"
        empty={<Empty>{filters.filtered ? "No audit rows match these filters." : "No audit rows yet."}</Empty>}
      >
        {(loaded) => (
          <AuditRows
            rows={loaded}
            agentOf={agentOf}
            resetKey={JSON.stringify(filters.filters)}
            onEndReached={loadMore}
            onSelect={setSelected}
          />
        )}
      </QueryView>
      {query.isFetchingNextPage ? <Loading label="Loading older rows…" /> : null}
      {selected ? (
        <Drawer projectId={projectId} row={selected} agentName={agentOf(selected)} onClose={() => setSelected(null)} />
      ) : null}
    </section>
  );
}
