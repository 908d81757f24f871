"use client";
import type { Bucket, MetricsBucket } from "@tower/shared";
import { BUCKET_MS } from "@tower/shared/domain";
import { keepPreviousData } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import { useTrailingThrottle } from "~/lib/throttle";
import { trpc } from "~/lib/trpc";

export type RangeKey = "1h" | "24h" | "7d" | "30d";
export const RANGES: Record<RangeKey, { label: string; ms: number; bucket: Bucket }> = {
  "1h": { label: "Last hour", ms: 3_600_000, bucket: "minute" },
  "24h": { label: "Last 24 hours", ms: 86_400_000, bucket: "hour" },
  "7d": { label: "Last 7 days", ms: 7 * 86_400_000, bucket: "hour" },
  "30d": { label: "Last 30 days", ms: 30 * 86_400_000, bucket: "day" },
};

export type Scope = "fleet" | "agent" | "by-agent" | "by-model";
export const SCOPES: Record<Scope, string> = {
  fleet: "Whole fleet",
  agent: "One agent",
  "by-agent": "Grouped by agent",
  "by-model": "Grouped by model",
};

export interface MetricsQuery {
  range: RangeKey;
  scope: Scope;
  agentId: string;
}

/** [from, to) with `to` at the end of the current bucket, so the query key only moves once per bucket. */
export function rangeBounds(range: RangeKey, now: number) {
  const { ms, bucket } = RANGES[range];
  const size = BUCKET_MS[bucket];
  const to = Math.ceil((now + 1) / size) * size;
  return { from: to - Math.ceil(ms / size) * size, to, bucket, size };
}

/**
 * Buckets for the chosen range and scope. Refetched (throttled, ~500 ms) when an audit row is
 * appended or an agent changes: every ingested batch does one or the other. No timer.
 */
export function useMetrics(projectId: string, q: MetricsQuery) {
  const utils = trpc.useUtils();
  const [now, setNow] = useState(() => Date.now());
  const bounds = useMemo(() => rangeBounds(q.range, now), [q.range, now]);
  const input = {
    projectId,
    bucket: bounds.bucket,
    from: bounds.from,
    to: bounds.to,
    groupBy:
      q.scope === "by-agent" ? ("agent" as const) : q.scope === "by-model" ? ("model" as const) : ("none" as const),
    ...(q.scope === "agent" && q.agentId ? { agentId: q.agentId } : {}),
  };
  const query = trpc.metrics.aggregate.useQuery(input, {
    staleTime: Infinity,
    placeholderData: keepPreviousData,
    enabled: q.scope !== "agent" || Boolean(q.agentId),
  });
  /** Agents with any activity in the range, for the agent picker. */
  const active = trpc.metrics.aggregate.useQuery(
    { projectId, bucket: "day", from: bounds.from - (bounds.from % 86_400_000), to: bounds.to, groupBy: "agent" },
    { staleTime: Infinity, placeholderData: keepPreviousData },
  );
  const refresh = useTrailingThrottle(
    useCallback(() => {
      setNow(Date.now());
      void utils.metrics.aggregate.invalidate({ projectId });
    }, [utils, projectId]),
  );
  trpc.audit.onAppend.useSubscription({ projectId, lastEventId: null }, { onData: refresh });
  trpc.agent.onChange.useSubscription({ projectId, lastEventId: null }, { onData: refresh });

  const activeAgentIds = useMemo(
    () => [...new Set((active.data ?? []).map((b) => b.group))].filter(Boolean).sort(),
    [active.data],
  );
  return { query, bounds, activeAgentIds };
}

const NAME_LOOKUPS = 50;

/** Agent names for ids (the aggregate groups by id); cached with the agent pages' `agent.byId`. */
export function useAgentNames(projectId: string, ids: string[]): Map<string, string> {
  const results = trpc.useQueries((t) =>
    ids.slice(0, NAME_LOOKUPS).map((id) => t.agent.byId({ projectId, id }, { staleTime: Infinity, retry: false })),
  );
  const names = results.map((r) => r.data?.name ?? "").join("\n");
  const idList = ids.slice(0, NAME_LOOKUPS).join("\n");
  return useMemo(() => {
    const map = new Map<string, string>();
    const list = names.split("\n");
    idList.split("\n").forEach((id, i) => {
      if (id && list[i]) map.set(id, list[i]);
    });
    return map;
  }, [names, idList]);
}

export type { MetricsBucket };
