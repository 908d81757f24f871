import type { ChartSeries } from "./chart";
import type { MetricsBucket } from "./hooks";

/** Most groups drawn as separate lines; the rest are only in the table. */
const MAX_LINES = 8;
const PALETTE = ["--accent", "--ok", "--warn", "--danger", "#a970ff", "#16a3b8", "#e0629a", "#8a9a2b"];

export interface Series {
  x: number[];
  requests: ChartSeries[];
  cost: ChartSeries[];
  tokens: ChartSeries[];
  latency: ChartSeries[];
}

/** Dense series over the whole range (missing buckets are 0, or a gap for latency). */
export function buildSeries(
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
