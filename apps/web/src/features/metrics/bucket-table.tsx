"use client";
import Link from "next/link";
import { count, percent, usd } from "~/lib/format";
import { Empty } from "~/ui/states";
import type { MetricsBucket } from "./hooks";

const MAX_TABLE_ROWS = 500;

export const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

function label(bucket: MetricsBucket["start"], size: number): string {
  const d = new Date(bucket);
  return size >= 86_400_000 ? d.toLocaleDateString() : d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

/** Every bucket of the range as a table row (newest first, the first 500), grouped by agent or model when `groupLabel` is set. */
export function BucketTable({
  rows,
  size,
  groupLabel,
  nameOf,
  projectId,
}: {
  rows: MetricsBucket[];
  /** Bucket size in ms. */
  size: number;
  /** "Agent" or "Model" when grouped, else null. */
  groupLabel: string | null;
  nameOf(group: string): string;
  projectId: string;
}) {
  const grouped = groupLabel !== null;
  return (
    <section className="card" aria-labelledby="buckets-title">
      <h2 id="buckets-title">
        Buckets <span className="muted">({count(rows.length)})</span>
      </h2>
      {rows.length === 0 ? (
        <Empty line>
          Nothing reported in this range. Agents report with the SDK&apos;s <code>metric()</code> and{" "}
          <code>event()</code>; see <Link href={`/agents?project=${encodeURIComponent(projectId)}`}>Agents</Link>.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table aria-label="Metric buckets" className="buckets">
            <thead>
              <tr>
                <th scope="col">Start</th>
                {grouped ? <th scope="col">{groupLabel}</th> : null}
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
                    <time dateTime={new Date(b.start).toISOString()}>{label(b.start, size)}</time>
                  </th>
                  {grouped ? <td data-label={groupLabel}>{nameOf(b.group)}</td> : null}
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
  );
}
