"use client";
import { ACTOR_TYPES, DECISIONS } from "@tower/shared/domain";
import { FilterSelect, plainOptions } from "~/ui/filter-select";
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
      <FilterSelect
        id="audit-actor"
        label="Actor type"
        value={view.actorType}
        options={plainOptions(ACTOR_TYPES)}
        anyLabel="Any actor"
        onChange={(actorType) => set({ actorType })}
      />
      <FilterSelect
        id="audit-decision"
        label="Decision"
        value={view.decision}
        options={DECISIONS.map((d) => ({ value: d, label: d.replace("_", " ") }))}
        anyLabel="Any decision"
        onChange={(decision) => set({ decision })}
      />
      <FilterSelect
        id="audit-agent"
        label="Agent"
        value={view.agentId}
        options={agents.map((a) => ({ value: a.agentId, label: a.agentName }))}
        anyLabel="Any agent"
        onChange={(agentId) => set({ agentId })}
      />
      <FilterSelect
        id="audit-range"
        label="Time range"
        value={view.range}
        options={(Object.keys(TIME_RANGES) as Exclude<TimeRange, "">[]).map((key) => ({
          value: key,
          label: TIME_RANGES[key].label,
        }))}
        anyLabel="Any time"
        onChange={(range) => set({ range })}
      />
    </form>
  );
}
