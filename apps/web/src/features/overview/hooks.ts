"use client";
import type { AuditEvent, BudgetAlert } from "@tower/shared";
import { useCallback } from "react";
import { useTrailingThrottle } from "~/lib/throttle";
import { trpc } from "~/lib/trpc";

export const ALERT_LIMIT = 20;
export const DENIAL_LIMIT = 20;

/**
 * The fleet's numbers for today. Kept fresh without polling: each audit row, budget alert or agent
 * change pushed to this page schedules one (throttled, ~500 ms) refetch.
 */
export function useOverview(projectId: string) {
  const utils = trpc.useUtils();
  const query = trpc.metrics.overview.useQuery({ projectId }, { staleTime: Infinity });
  const refresh = useTrailingThrottle(
    useCallback(() => {
      void utils.metrics.overview.invalidate({ projectId });
      void utils.metrics.budgetUsage.invalidate({ projectId });
    }, [utils, projectId]),
  );
  trpc.agent.onChange.useSubscription({ projectId, lastEventId: null }, { onData: refresh });
  return { query, refresh };
}

/** Newest budget alerts; pushed ones are put at the top of the cached list (no refetch). */
export function useBudgetAlerts(projectId: string, onPush: () => void) {
  const utils = trpc.useUtils();
  const input = { projectId, limit: ALERT_LIMIT };
  const query = trpc.metrics.alerts.useQuery(input, { staleTime: Infinity });
  trpc.metrics.onAlert.useSubscription(
    { projectId, lastEventId: null },
    {
      // Anything raised before the subscription was listening is picked up by one refetch.
      onStarted: () => void utils.metrics.alerts.invalidate(input),
      onData: (tracked) => {
        const alert: BudgetAlert = tracked.data;
        utils.metrics.alerts.setData(input, (current) =>
          current?.some((a) => a.id === alert.id) ? current : [alert, ...(current ?? [])].slice(0, ALERT_LIMIT),
        );
        onPush();
      },
    },
  );
  return query;
}

/** Recent `denied` audit rows; the live tail is filtered here and prepended into the cache. */
export function useRecentDenials(projectId: string, onPush: () => void) {
  const utils = trpc.useUtils();
  const input = { projectId, decision: "denied" as const, limit: DENIAL_LIMIT };
  const query = trpc.audit.list.useQuery(input, { staleTime: Infinity });
  trpc.audit.onAppend.useSubscription(
    { projectId, lastEventId: null },
    {
      onStarted: () => void utils.audit.list.invalidate(input),
      onData: (tracked) => {
        onPush();
        const denied: AuditEvent[] = tracked.data.filter((row) => row.decision === "denied").reverse();
        if (denied.length === 0) return;
        utils.audit.list.setData(input, (current) => {
          if (!current) return current;
          const seen = new Set(current.items.map((r) => r.id));
          const fresh = denied.filter((r) => !seen.has(r.id));
          if (fresh.length === 0) return current;
          return { ...current, items: [...fresh, ...current.items].slice(0, DENIAL_LIMIT) };
        });
      },
    },
  );
  return query;
}
