"use client";
import Link from "next/link";
import { useMemo, useState } from "react";
import { useProject } from "~/features/shell/project";
import { errorMessage } from "~/lib/errors";
import { count, percent, usd } from "~/lib/format";
import { Chart, type ChartSeries } from "./chart";
import { RANGES, useAgentNames, useMetrics, type MetricsBucket, type RangeKey, type Scope } from "./hooks";

const SCOPES: Record<Scope, string> = {
  fleet: "Whole fleet",
  agent: "One agent",
  "by-agent": "Grouped by agent",
  "by-model": "Grouped by model",
};

/** Most groups drawn as separate lines; the rest are only in the table. */
const MAX_LINES = 8;
const PALETTE = ["--accent", "--ok", "--warn", "--danger", "#a970ff", "#16a3b8", "#e0629a", "#8a9a2b"];
const MAX_TABLE_ROWS = 500;

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const compact = (v: number) =>
  Math.abs(v) >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : Math.abs(v) >= 1e4 ? `${Math.round(v / 1e3)}k` : count(v);
const money = (v: number) => (v === 0 ? "$0" : usd(v));

function label(bucket: MetricsBucket["start"], size: number): string {
  const d = new Date(bucket);
  return size >= 86_400_000 ? d.toLocaleDateString() : d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

interface Series {
  x: number[];
  requests: ChartSeries[];
  cost: ChartSeries[];
  tokens: ChartSeries[];
  latency: ChartSeries[];
}

/** Dense series over the whole range (missing buckets are 0, or a gap for latency). */
function buildSeries(
  buckets: MetricsBucket[],
  from: number,
  to: number,
  size: number,
  grouped: boolean,
  nameOf: (group: string) => string,
): Series {
  const x: number[] = [];
  for (let t = from; t < to; t += size) x.push(t);
  const index = new Map(x.map((t, i) => [t, i]));
  const fill = (v: number | null) => x.map(() => v);

  if (!grouped) {
    const rows = new Map(buckets.map((b) => [b.start, b]));
    const pick = (f: (b: MetricsBucket) => number | null, empty: number | null) =>
      x.map((t) => {
        const b = rows.get(t);
        return b ? f(b) : empty;
      });
    return {
      x,
      requests: [
        { label: "Requests", values: pick((b) => b.count, 0), color: "--accent" },
        { label: "Failures", values: pick((b) => b.failures, 0), color: "--danger" },
      ],
      cost: [{ label: "Cost", values: pick((b) => b.costUsd, 0), color: "--ok" }],
      tokens: [
        { label: "Tokens in", values: pick((b) => b.tokensIn, 0), color: "--accent" },
        { label: "Tokens out", values: pick((b) => b.tokensOut, 0), color: "--warn" },
      ],
      latency: [
        { label: "p50", values: pick((b) => b.p50ExecutionMs, null), color: "--accent", points: true },
        { label: "p95", values: pick((b) => b.p95ExecutionMs, null), color: "--danger", points: true },
      ],
    };
  }

  // Grouped: one line per group (the busiest first), per chart.
  const totals = new Map<string, number>();
  for (const b of buckets) totals.set(b.group, (totals.get(b.group) ?? 0) + b.count + b.events);
  const groups = [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_LINES)
    .map(([g]) => g);
  const per = (f: (b: MetricsBucket) => number | null, empty: number | null, points = false) =>
    groups.map((group, i) => {
      const values = fill(empty);
      for (const b of buckets) {
        const at = index.get(b.start);
        if (b.group === group && at !== undefined) values[at] = f(b);
      }
      return { label: nameOf(group), values, color: PALETTE[i % PALETTE.length]!, points };
    });
  return {
    x,
    requests: per((b) => b.count, 0),
    cost: per((b) => b.costUsd, 0),
    tokens: per((b) => b.tokensIn + b.tokensOut, 0),
    latency: per((b) => b.p95ExecutionMs, null, true),
  };
}

/** Requests, cost, tokens and latency over time, for the fleet, one agent, or split by agent or model. */
export function MetricsPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const [range, setRange] = useState<RangeKey>("24h");
  const [scope, setScope] = useState<Scope>("fleet");
  const [agentId, setAgentId] = useState("");
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
          <select id="metrics-range" value={range} onChange={(e) => setRange(e.target.value as RangeKey)}>
            {(Object.keys(RANGES) as RangeKey[]).map((key) => (
              <option key={key} value={key}>
                {RANGES[key].label} (per {RANGES[key].bucket})
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="metrics-scope">Scope</label>
          <select id="metrics-scope" value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
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
            <select id="metrics-agent" value={agentId} onChange={(e) => setAgentId(e.target.value)}>
              <option value="">Choose an agent…</option>
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
        <p className="empty">
          {activeAgentIds.length === 0
            ? "No agent reported anything in this range."
            : "Choose an agent to see its metrics."}
        </p>
      ) : query.error ? (
        <p className="error" role="alert">
          Could not load metrics: {errorMessage(query.error)}
        </p>
      ) : query.isPending ? (
        <p className="loading">Loading metrics…</p>
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

          <section className="card" aria-labelledby="buckets-title">
            <h2 id="buckets-title">
              Buckets <span className="muted">({count(rows.length)})</span>
            </h2>
            {rows.length === 0 ? (
              <p className="muted">
                Nothing reported in this range. Agents report with the SDK&apos;s <code>metric()</code> and{" "}
                <code>event()</code>; see <Link href={`/agents?project=${encodeURIComponent(projectId)}`}>Agents</Link>.
              </p>
            ) : (
              <div className="table-wrap">
                <table aria-label="Metric buckets" className="buckets">
                  <thead>
                    <tr>
                      <th scope="col">Start</th>
                      {grouped ? <th scope="col">{scope === "by-agent" ? "Agent" : "Model"}</th> : null}
                      <th scope="col">Requests</th>
                      <th scope="col">Failures</th>
                      <th scope="col">Success</th>
                      <th scope="col">Tokens in</th>
                      <th scope="col">Tokens out</th>
                      <th scope="col">Cost</th>
                      <th scope="col">Events</th>
                      <th scope="col">p50</th>
                      <th scope="col">p95</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.slice(0, MAX_TABLE_ROWS).map((b) => (
                      <tr key={`${b.start}:${b.group}`}>
                        <th scope="row" data-label="Start">
                          <time dateTime={new Date(b.start).toISOString()}>{label(b.start, bounds.size)}</time>
                        </th>
                        {grouped ? (
                          <td data-label={scope === "by-agent" ? "Agent" : "Model"}>{nameOf(b.group)}</td>
                        ) : null}
                        <td data-label="Requests">{count(b.count)}</td>
                        <td data-label="Failures">{count(b.failures)}</td>
                        <td data-label="Success">{percent(b.successRate)}</td>
                        <td data-label="Tokens in">{count(b.tokensIn)}</td>
                        <td data-label="Tokens out">{count(b.tokensOut)}</td>
                        <td data-label="Cost">{usd(b.costUsd)}</td>
                        <td data-label="Events">{count(b.events)}</td>
                        <td data-label="p50">{b.p50ExecutionMs === null ? "—" : ms(b.p50ExecutionMs)}</td>
                        <td data-label="p95">{b.p95ExecutionMs === null ? "—" : ms(b.p95ExecutionMs)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {rows.length > MAX_TABLE_ROWS ? (
                  <p className="muted">
                    Showing the newest {MAX_TABLE_ROWS} of {count(rows.length)} buckets.
                  </p>
                ) : null}
              </div>
            )}
          </section>
        </>
      )}
    </section>
  );
}
