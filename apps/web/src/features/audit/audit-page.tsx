"use client";
import type { ActorType, AuditEvent, Decision } from "@tower/shared";
import { ACTOR_TYPES, DECISIONS, hasRole } from "@tower/shared/domain";
import { useDebounced } from "~/lib/throttle";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useProject } from "~/features/shell/project";
import { errorMessage } from "~/lib/errors";
import { count, plural } from "~/lib/format";
import { lazyComponent } from "~/ui/lazy";
import { DecisionBadge } from "./decision-badge";
import { TIME_RANGES, useAuditFacets, useAuditTrail, useVerifyChain, type AuditFilters, type TimeRange } from "./hooks";
import { VirtualRows } from "./virtual-rows";

// A row's detail opens on a click; its code loads then, not with the page.
const Drawer = lazyComponent(() => import("./drawer").then((m) => m.Drawer));

const WIDE = "(min-width: 760px)";

const shortDateTime = (at: number) => new Date(at).toLocaleString([], { dateStyle: "short", timeStyle: "medium" });

/** One line per row on wide screens, two on a phone; the windowing needs the exact height. */
function useRowHeight(): number {
  const [wide, setWide] = useState(() => typeof window === "undefined" || window.matchMedia(WIDE).matches);
  useEffect(() => {
    const media = window.matchMedia(WIDE);
    const update = () => setWide(media.matches);
    media.addEventListener("change", update);
    return () => media.removeEventListener("change", update);
  }, []);
  return wide ? 40 : 64;
}

function VerifyChain({ projectId }: { projectId: string }) {
  const verify = useVerifyChain(projectId);
  const result = verify.data;
  return (
    <div className="verify">
      <button type="button" onClick={() => void verify.refetch()} disabled={verify.isFetching}>
        {verify.isFetching ? "Verifying…" : "Verify chain"}
      </button>
      <span role="status" aria-live="polite" className="verify-result">
        {verify.isFetching ? null : verify.error ? (
          <span className="error">Could not verify: {errorMessage(verify.error)}</span>
        ) : result?.intact ? (
          <span className="verify-ok">
            Intact: {plural(result.rows, "row")}
            {result.checkpoint ? (
              <span className="muted"> (after a checkpoint through row {result.checkpoint.throughId})</span>
            ) : null}
          </span>
        ) : result ? (
          <span className="verify-broken">
            Broken at row {result.brokenAt}: {result.reason}
          </span>
        ) : null}
      </span>
    </div>
  );
}

/** The audit trail: filters, a windowed table with keyset paging, a pausable live tail, chain verification. */
export function AuditPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const [operationText, setOperationText] = useState("");
  const [actorType, setActorType] = useState<ActorType | "">("");
  const [decision, setDecision] = useState<Decision | "">("");
  const [agentId, setAgentId] = useState("");
  const [range, setRange] = useState<TimeRange>("");
  const [from, setFrom] = useState<number | undefined>(undefined);
  const [paused, setPaused] = useState(false);
  const [selected, setSelected] = useState<AuditEvent | null>(null);
  const operation = useDebounced(operationText.trim());
  const rowHeight = useRowHeight();

  const filters = useMemo<AuditFilters>(
    () => ({
      operation: operation || undefined,
      actorType: actorType || undefined,
      decision: decision || undefined,
      agentId: agentId || undefined,
      from,
    }),
    [operation, actorType, decision, agentId, from],
  );
  const { query, rows, waiting, showWaiting } = useAuditTrail(projectId, filters, paused);
  const facets = useAuditFacets(projectId);
  const agentNames = useMemo(
    () => new Map((facets.data?.byAgent ?? []).map((a) => [a.agentId, a.agentName])),
    [facets.data],
  );
  const agentOf = (row: AuditEvent) =>
    row.agentId ? (agentNames.get(row.agentId) ?? (row.actorType === "agent" ? row.actorName : row.agentId)) : null;
  const filtered = Boolean(operation || actorType || decision || agentId || range);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  function chooseRange(next: TimeRange) {
    setRange(next);
    setFrom(next ? Date.now() - TIME_RANGES[next].ms : undefined);
  }

  return (
    <section className="page audit">
      <div className="page-head">
        <h1>Audit trail</h1>
        {/* Verifying reads the whole trail: the server allows it to admins only. */}
        {hasRole(current.role, "admin") ? <VerifyChain projectId={projectId} /> : null}
      </div>

      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div className="filter">
          <label htmlFor="audit-operation">Operation</label>
          <input
            id="audit-operation"
            list="audit-operations"
            value={operationText}
            onChange={(e) => setOperationText(e.target.value)}
            placeholder="Any operation"
          />
          <datalist id="audit-operations">
            {(facets.data?.byOperation ?? []).map((o) => (
              <option key={o.operation} value={o.operation} />
            ))}
          </datalist>
        </div>
        <div className="filter">
          <label htmlFor="audit-actor">Actor type</label>
          <select id="audit-actor" value={actorType} onChange={(e) => setActorType(e.target.value as ActorType | "")}>
            <option value="">Any actor</option>
            {ACTOR_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="audit-decision">Decision</label>
          <select id="audit-decision" value={decision} onChange={(e) => setDecision(e.target.value as Decision | "")}>
            <option value="">Any decision</option>
            {DECISIONS.map((d) => (
              <option key={d} value={d}>
                {d.replace("_", " ")}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="audit-agent">Agent</label>
          <select id="audit-agent" value={agentId} onChange={(e) => setAgentId(e.target.value)}>
            <option value="">Any agent</option>
            {agentId && !agentNames.has(agentId) ? <option value={agentId}>{agentId}</option> : null}
            {(facets.data?.byAgent ?? []).map((a) => (
              <option key={a.agentId} value={a.agentId}>
                {a.agentName}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="audit-range">Time range</label>
          <select id="audit-range" value={range} onChange={(e) => chooseRange(e.target.value as TimeRange)}>
            <option value="">Any time</option>
            {(Object.keys(TIME_RANGES) as Exclude<TimeRange, "">[]).map((key) => (
              <option key={key} value={key}>
                {TIME_RANGES[key].label}
              </option>
            ))}
          </select>
        </div>
      </form>

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
        {filtered ? (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setOperationText("");
              setActorType("");
              setDecision("");
              setAgentId("");
              chooseRange("");
            }}
          >
            Clear filters
          </button>
        ) : null}
      </div>

      {query.isPending ? (
        <p className="loading">Loading audit trail…</p>
      ) : query.error ? (
        <p className="error" role="alert">
          Could not load the audit trail: {errorMessage(query.error)}
        </p>
      ) : rows.length === 0 ? (
        <p className="empty">{filtered ? "No audit rows match these filters." : "No audit rows yet."}</p>
      ) : (
        <VirtualRows
          label="Audit rows"
          count={rows.length}
          rowHeight={rowHeight}
          resetKey={JSON.stringify(filters)}
          onEndReached={loadMore}
          header={
            <div className="vrow vhead" role="row">
              <span role="columnheader">Time</span>
              <span role="columnheader">Actor</span>
              <span role="columnheader">Operation</span>
              <span role="columnheader">Target</span>
              <span role="columnheader">Decision</span>
              <span role="columnheader">Agent</span>
            </div>
          }
          renderRow={(index, style) => {
            const row = rows[index]!;
            return (
              <div
                key={row.id}
                className="vrow"
                role="row"
                aria-rowindex={index + 2}
                data-audit-id={row.id}
                data-operation={row.operation}
                data-decision={row.decision ?? ""}
                style={{ top: style.top, height: style.height }}
                onClick={() => setSelected(row)}
              >
                <span role="cell" className="c-time">
                  <button type="button" className="link-button" aria-label={`Details of audit row ${row.id}`}>
                    <time dateTime={new Date(row.at).toISOString()}>{shortDateTime(row.at)}</time>
                  </button>
                </span>
                <span role="cell" className="c-actor" title={`${row.actorType}: ${row.actorName}`}>
                  <span className="actor-type">{row.actorType}</span> {row.actorName}
                </span>
                <span role="cell" className="c-op">
                  {row.operation}
                </span>
                <span role="cell" className="c-target" title={row.target}>
                  {row.target || "—"}
                </span>
                <span role="cell" className="c-decision">
                  <DecisionBadge decision={row.decision} />
                </span>
                <span role="cell" className="c-agent">
                  {agentOf(row) ?? "—"}
                </span>
              </div>
            );
          }}
        />
      )}
      {query.isFetchingNextPage ? <p className="loading">Loading older rows…</p> : null}
      {selected ? (
        <Drawer projectId={projectId} row={selected} agentName={agentOf(selected)} onClose={() => setSelected(null)} />
      ) : null}
    </section>
  );
}
