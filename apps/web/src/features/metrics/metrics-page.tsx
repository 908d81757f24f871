"use client";
import { useMemo } from "react";
import { useProject } from "~/features/shell";
import { count, usd } from "~/lib/format";
import { Empty, ErrorText, Loading } from "~/ui/states";
import { BucketTable, ms } from "./bucket-table";
import { Chart } from "./chart";
import { RANGES, SCOPES, useAgentNames, useMetrics, type RangeKey, type Scope } from "./hooks";
import { buildSeries } from "./series";
import { useMetricsView } from "./use-metrics-view";

const compact = (v: number) =>
  Math.abs(v) >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : Math.abs(v) >= 1e4 ? `${Math.round(v / 1e3)}k` : count(v);
const money = (v: number) => (v === 0 ? "$0" : usd(v));

/** Requests, cost, tokens and latency over time, for the fleet, one agent, or split by agent or model. */
export function MetricsPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const [{ range, scope, agentId }, setView] = useMetricsView();
  const { query, bounds, activeAgentIds } = useMetrics(projectId, { range, scope, agentId });
  const grouped = scope === "by-agent" || scope === "by-model";

  const buckets = useMemo(() => query.data ?? [], [query.data]);
  const groupIds = useMemo(
    () => (scope === "by-agent" ? [...new Set([...activeAgentIds, ...buckets.map((b) => b.group)])] : activeAgentIds),
    [scope, activeAgentIds, buckets],
  );
  const names = useAgentNames(projectId, groupIds);
  const nameOf = (group: string) =>
    scope === "by-agent" ? (names.get(group) ?? (group || "(no agent)")) : group || "(no model)";
  const series = useMemo(
    () =>
      buildSeries(buckets, bounds.from, bounds.to, bounds.size, grouped, (g) =>
        scope === "by-agent" ? (names.get(g) ?? (g || "(no agent)")) : g || "(no model)",
      ),
    [buckets, bounds, grouped, scope, names],
  );
  const rows = useMemo(
    () => [...buckets].sort((a, b) => b.start - a.start || a.group.localeCompare(b.group)),
    [buckets],
  );
  const suffix = grouped ? (scope === "by-agent" ? " by agent" : " by model") : "";

  return (
    <section className="page metrics">
      <div className="page-head">
        <h1>Metrics</h1>
      </div>
      <form className="filters metrics-filters" onSubmit={(e) => e.preventDefault()}>
        <div className="filter">
          <label htmlFor="metrics-range">Time range</label>
          <select id="metrics-range" value={range} onChange={(e) => setView({ range: e.target.value as RangeKey })}>
            {(Object.keys(RANGES) as RangeKey[]).map((key) => (
              <option key={key} value={key}>
                {RANGES[key].label} (per {RANGES[key].bucket})
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="metrics-scope">Scope</label>
          <select id="metrics-scope" value={scope} onChange={(e) => setView({ scope: e.target.value as Scope })}>
            {(Object.keys(SCOPES) as Scope[]).map((key) => (
              <option key={key} value={key}>
                {SCOPES[key]}
              </option>
            ))}
          </select>
        </div>
        {scope === "agent" ? (
          <div className="filter">
            <label htmlFor="metrics-agent">Agent</label>
            <select id="metrics-agent" value={agentId} onChange={(e) => setView({ agentId: e.target.value })}>
              <option value="">Choose an agent…</option>
              {agentId && !activeAgentIds.includes(agentId) ? (
                <option value={agentId}>{names.get(agentId) ?? agentId}</option>
              ) : null}
              {activeAgentIds.map((id) => (
                <option key={id} value={id}>
                  {names.get(id) ?? id}
                </option>
              ))}
            </select>
          </div>
        ) : null}
      </form>

      {scope === "agent" && !agentId ? (
        <Empty>
          {activeAgentIds.length === 0
            ? "No agent reported anything in this range."
            : "Choose an agent to see its metrics."}
        </Empty>
      ) : query.error ? (
        <ErrorText error={query.error} context="Could not load metrics" />
      ) : query.isPending ? (
        <Loading label="Loading metrics…" />
      ) : (
        <>
          <div className="charts" aria-busy={query.isFetching}>
            <Chart
              title={`Requests${grouped ? "" : " & failures"}${suffix}`}
              x={series.x}
              series={series.requests}
              format={compact}
            />
            <Chart title={`Cost${suffix}`} x={series.x} series={series.cost} format={money} />
            <Chart
              title={`Tokens${grouped ? "" : " in / out"}${suffix}`}
              x={series.x}
              series={series.tokens}
              format={compact}
            />
            <Chart
              title={`Latency ${grouped ? "p95" : "p50 / p95"}${suffix}`}
              x={series.x}
              series={series.latency}
              format={ms}
            />
          </div>
          <BucketTable
            rows={rows}
            size={bounds.size}
            groupLabel={grouped ? (scope === "by-agent" ? "Agent" : "Model") : null}
            nameOf={nameOf}
            projectId={projectId}
          />
        </>
      )}
    </section>
  );
}
