"use client";
import type { ActorType, Decision } from "@tower/shared";
import { ACTOR_TYPES, DECISIONS } from "@tower/shared/domain";
import { TIME_RANGES, type TimeRange } from "./hooks";
import type { AuditFilterState } from "./use-audit-filters";

/** Operation, actor type, decision, agent and time range. `operations` and `agents` are the choices offered. */
export function AuditFilterForm({
  filters,
  operations,
  agents,
}: {
  filters: AuditFilterState;
  operations: string[];
  agents: { agentId: string; agentName: string }[];
}) {
  const { view, set } = filters;
  return (
    <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <div className="filter">
        <label htmlFor="audit-operation">Operation</label>
        <input
          id="audit-operation"
          list="audit-operations"
          value={filters.operationText}
          onChange={(e) => filters.setOperationText(e.target.value)}
          placeholder="Any operation"
        />
        <datalist id="audit-operations">
          {operations.map((operation) => (
            <option key={operation} value={operation} />
          ))}
        </datalist>
      </div>
      <div className="filter">
        <label htmlFor="audit-actor">Actor type</label>
        <select
          id="audit-actor"
          value={view.actorType}
          onChange={(e) => set({ actorType: e.target.value as ActorType | "" })}
        >
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
        <select
          id="audit-decision"
          value={view.decision}
          onChange={(e) => set({ decision: e.target.value as Decision | "" })}
        >
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
        <select id="audit-agent" value={view.agentId} onChange={(e) => set({ agentId: e.target.value })}>
          <option value="">Any agent</option>
          {view.agentId && !agents.some((a) => a.agentId === view.agentId) ? (
            <option value={view.agentId}>{view.agentId}</option>
          ) : null}
          {agents.map((a) => (
            <option key={a.agentId} value={a.agentId}>
              {a.agentName}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label htmlFor="audit-range">Time range</label>
        <select id="audit-range" value={view.range} onChange={(e) => set({ range: e.target.value as TimeRange })}>
          <option value="">Any time</option>
          {(Object.keys(TIME_RANGES) as Exclude<TimeRange, "">[]).map((key) => (
            <option key={key} value={key}>
              {TIME_RANGES[key].label}
            </option>
          ))}
        </select>
      </div>
    </form>
  );
}
