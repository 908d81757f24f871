"use client";
import { useCallback, useMemo } from "react";
import { useTrailingThrottle } from "~/lib/throttle";
import { trpc } from "~/lib/trpc";

export interface Spend {
  costUsd: number;
  tokens: number;
}

/**
 * Today's spend per agent (UTC day), as a map by agent id. Refreshed (throttled) when a budget
 * alert is raised or an agent changes (every ingested batch touches its agent), never on a timer.
 */
export function useBudgetUsage(projectId: string) {
  const utils = trpc.useUtils();
  const query = trpc.metrics.budgetUsage.useQuery({ projectId }, { staleTime: Infinity });
  const refresh = useTrailingThrottle(
    useCallback(() => void utils.metrics.budgetUsage.invalidate({ projectId }), [utils, projectId]),
  );
  trpc.metrics.onAlert.useSubscription({ projectId, lastEventId: null }, { onStarted: refresh, onData: refresh });
  trpc.agent.onChange.useSubscription({ projectId, lastEventId: null }, { onData: refresh });
  const byAgent = useMemo(() => {
    const map = new Map<string, Spend>();
    for (const row of query.data ?? []) map.set(row.agentId, { costUsd: row.costUsd, tokens: row.tokens });
    return map;
  }, [query.data]);
  return { query, byAgent };
}
