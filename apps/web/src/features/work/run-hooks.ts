"use client";
import type { ChangeEvent, Run, RunLogLine } from "@tower/shared";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTrailingThrottle } from "~/lib/throttle";
import { trpc } from "~/lib/trpc";
import { applyToPages, latestRunCopy, latestRunsInPages, newestFirst, runMatches, type RunFilters } from "./live-cache";

// Runs: the live list (keyset pages), one run live with its log lines, cancel and retry.

export const RUN_PAGE_SIZE = 50;

function listInput(projectId: string, filters: RunFilters) {
  return {
    projectId,
    limit: RUN_PAGE_SIZE,
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.taskId ? { taskId: filters.taskId } : {}),
    ...(filters.search ? { search: filters.search } : {}),
  };
}

const runOf = (event: ChangeEvent): Run | null => (event.entity === "run" ? event.data : null);

/** Writes a run into the visible list (where a refetch would put it) and into its own cache. */
function useApplyRun(projectId: string, filters: RunFilters | null) {
  const utils = trpc.useUtils();
  return useCallback(
    (run: Run) => {
      utils.run.byId.setData({ projectId, id: run.id }, run);
      // Other views (other filters) refetch when shown again.
      void utils.run.list.invalidate({ projectId }, { refetchType: "none" });
      if (!filters) return;
      utils.run.list.setInfiniteData(listInput(projectId, filters), (data) =>
        applyToPages(data, run.id, runMatches(run, filters) ? run : null, newestFirst),
      );
    },
    [utils, projectId, filters],
  );
}

/** The project's runs, newest first, in keyset pages, live through `run.onChange` (progress included). */
export function useRunList(projectId: string, filters: RunFilters) {
  const input = useMemo(() => listInput(projectId, filters), [projectId, filters]);
  const structuralSharing = useMemo(() => latestRunsInPages(filters), [filters]);
  const query = trpc.run.list.useInfiniteQuery(input, {
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: Infinity, // the feed keeps it fresh
    structuralSharing,
  });
  const apply = useApplyRun(projectId, filters);
  const utils = trpc.useUtils();
  // No event id comes with the list: one refetch once the feed is open covers what came before it.
  const refresh = useTrailingThrottle(
    useCallback(() => void utils.run.list.invalidate({ projectId }), [utils, projectId]),
  );
  trpc.run.onChange.useSubscription(
    { projectId, lastEventId: null },
    {
      onStarted: refresh,
      onData: (tracked) => {
        const run = runOf(tracked.data);
        if (run) apply(run);
      },
    },
  );
  const runs = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  return { query, runs };
}

/** One run, kept live by `run.onChange` (the project's feed, this run's changes only). */
export function useRun(projectId: string, id: string) {
  const query = trpc.run.byId.useQuery({ projectId, id }, { staleTime: Infinity, structuralSharing: latestRunCopy });
  const utils = trpc.useUtils();
  trpc.run.onChange.useSubscription(
    { projectId, lastEventId: null },
    {
      // What changed between the load and the feed opening (or while reconnecting).
      onStarted: () => void utils.run.byId.invalidate({ projectId, id }),
      onData: (tracked) => {
        const run = runOf(tracked.data);
        if (run?.id === id) utils.run.byId.setData({ projectId, id }, run);
      },
    },
  );
  return query;
}

/**
 * A run's log lines, oldest first. Fetched from the start, then the lines after the last one held
 * whenever the run's `logLines` count (live) says there are more.
 */
export function useRunLogs(projectId: string, id: string, logLines: number | undefined) {
  const utils = trpc.useUtils();
  const [lines, setLines] = useState<RunLogLine[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const busy = useRef(false);
  const held = useRef<RunLogLine[]>([]);

  useEffect(() => {
    held.current = [];
    setLines([]);
    setError(null);
  }, [projectId, id]);

  const fetchMore = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    setLoading(true);
    setError(null);
    try {
      for (;;) {
        const afterId = held.current.at(-1)?.id ?? 0;
        const page = await utils.run.logs.fetch({ projectId, id, afterId }, { staleTime: 0 });
        held.current = [...held.current, ...page.items];
        setLines(held.current);
        if (page.nextAfterId === null) break;
      }
    } catch (caught) {
      setError(caught);
    } finally {
      busy.current = false;
      setLoading(false);
    }
  }, [utils, projectId, id]);

  // `lines.length` in the deps: a fetch that ran while more lines came in is followed by another.
  useEffect(() => {
    // After a failure, only the retry button asks again (no loop of failing requests).
    if (logLines !== undefined && logLines > lines.length && !loading && !error) void fetchMore();
  }, [logLines, lines.length, loading, error, fetchMore]);

  return { lines, error, loading, retry: fetchMore };
}

export function useCancelRun(projectId: string) {
  const apply = useApplyRun(projectId, null);
  return trpc.run.cancel.useMutation({ onSuccess: (run: Run) => apply(run) });
}

/** Runs an ended run again as a new run; `onSuccess` gets the new run. */
export function useRetryRun(projectId: string) {
  const apply = useApplyRun(projectId, null);
  return trpc.run.retry.useMutation({ onSuccess: (run: Run) => apply(run) });
}
