"use client";
import type { AuditEvent } from "@tower/shared";
import { useEffect, useState } from "react";
import { DecisionBadge } from "~/ui/decision-badge";
import { VirtualRows } from "./virtual-rows";

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

/**
 * The audit rows as a windowed table (only the rows in view are mounted); a row opens its detail
 * (`onSelect`), reaching the end asks for older rows (`onEndReached`).
 */
export function AuditRows({
  rows,
  agentOf,
  resetKey,
  onEndReached,
  onSelect,
}: {
  rows: AuditEvent[];
  /** The agent's name to show for a row, if any. */
  agentOf(row: AuditEvent): string | null;
  /** Changes with the filters: scrolls back to the top. */
  resetKey: string;
  onEndReached(): void;
  onSelect(row: AuditEvent): void;
}) {
  const rowHeight = useRowHeight();
  return (
    <VirtualRows
      label="Audit rows"
      count={rows.length}
      rowHeight={rowHeight}
      resetKey={resetKey}
      onEndReached={onEndReached}
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
            onClick={() => onSelect(row)}
          >
            <span role="cell" className="c-time">
              {/* Named by the time it shows, then what it opens. */}
              <button type="button" className="link-button">
                <time dateTime={new Date(row.at).toISOString()}>{shortDateTime(row.at)}</time>
                <span className="sr-only">, details of audit row {row.id}</span>
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
  );
}
