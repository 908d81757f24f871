"use client";
import type { ChangeEvent, SuiteRun, TestStatus } from "@tower/shared";
import { useCallback, useMemo } from "react";
import { applyToPages, newestFirst } from "~/features/work";
import { useTrailingThrottle } from "~/lib/throttle";
import { trpc } from "~/lib/trpc";
import { latestSuiteRunCopy, latestSuiteRunsInPages } from "./format";
import { useTail } from "./use-tail";

// Test suites: the configured suites, the runs' history (keyset pages) and one run, all live through
// `suite.onChange`; a run's results and output read forward as its live counts grow; start and cancel.

export const SUITE_RUN_PAGE_SIZE = 50;
const RESULT_PAGE_SIZE = 1_000;
const OUTPUT_PAGE_SIZE = 2_000;

function listInput(projectId: string, suite: string | undefined) {
  return { projectId, limit: SUITE_RUN_PAGE_SIZE, ...(suite ? { suite } : {}) };
}

const suiteRunOf = (event: ChangeEvent): SuiteRun | null => (event.entity === "suiteRun" ? event.data : null);

/** The suites the server's suites file configures (it changes only when the server restarts). */
export function useSuites(projectId: string) {
  return trpc.suite.list.useQuery({ projectId }, { staleTime: 5 * 60_000 });
}

/** Writes a run into its own cache and into the visible history (where a refetch would put it). */
function useApplySuiteRun(projectId: string, suite: string | undefined | null) {
  const utils = trpc.useUtils();
  return useCallback(
    (run: SuiteRun) => {
      utils.suite.runById.setData({ projectId, id: run.id }, run);
      // Other views (another suite's history) refetch when shown again.
      void utils.suite.runs.invalidate({ projectId }, { refetchType: "none" });
      if (suite === null) return;
      const matches = !suite || run.suiteName === suite;
      utils.suite.runs.setInfiniteData(listInput(projectId, suite), (data) =>
        applyToPages(data, run.id, matches ? run : null, newestFirst),
      );
    },
    [utils, projectId, suite],
  );
}

/** The project's suite runs, newest first, in keyset pages, live (status and counts as they move). */
export function useSuiteRunList(projectId: string, suite: string | undefined) {
  const input = useMemo(() => listInput(projectId, suite), [projectId, suite]);
  const structuralSharing = useMemo(() => latestSuiteRunsInPages(suite), [suite]);
  const query = trpc.suite.runs.useInfiniteQuery(input, {
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: Infinity, // the feed keeps it fresh
    structuralSharing,
  });
  const apply = useApplySuiteRun(projectId, suite);
  const utils = trpc.useUtils();
  // No event id comes with the list: one refetch once the feed is open covers what came before it.
  const refresh = useTrailingThrottle(
    useCallback(() => void utils.suite.runs.invalidate({ projectId }), [utils, projectId]),
  );
  trpc.suite.onChange.useSubscription(
    { projectId, lastEventId: null },
    {
      onStarted: refresh,
      onData: (tracked) => {
        const run = suiteRunOf(tracked.data);
        if (run) apply(run);
      },
    },
  );
  const runs = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  return { query, runs };
}

/** One suite run, kept live by `suite.onChange` (the project's feed, this run's changes only). */
export function useSuiteRun(projectId: string, id: string) {
  const query = trpc.suite.runById.useQuery(
    { projectId, id },
    { staleTime: Infinity, structuralSharing: latestSuiteRunCopy },
  );
  const utils = trpc.useUtils();
  trpc.suite.onChange.useSubscription(
    { projectId, lastEventId: null },
    {
      // What changed between the load and the feed opening (or while reconnecting).
      onStarted: () => void utils.suite.runById.invalidate({ projectId, id }),
      onData: (tracked) => {
        const run = suiteRunOf(tracked.data);
        if (run?.id === id) utils.suite.runById.setData({ projectId, id }, run);
      },
    },
  );
  return query;
}

/**
 * A run's results of one status (or all), in the order reported, read on as the run's live count of
 * them (`expected`) grows.
 */
export function useSuiteResults(projectId: string, id: string, status: TestStatus | undefined, expected: number) {
  const utils = trpc.useUtils();
  const fetchPage = useCallback(
    (afterId: number) =>
      utils.suite.results.fetch(
        { projectId, id, afterId, limit: RESULT_PAGE_SIZE, ...(status ? { status } : {}) },
        { staleTime: 0 },
      ),
    [utils, projectId, id, status],
  );
  return useTail(fetchPage, expected);
}

/** What a run's command printed, oldest first, read on as its live `outputLines` grows. */
export function useSuiteOutput(projectId: string, id: string, outputLines: number) {
  const utils = trpc.useUtils();
  const fetchPage = useCallback(
    (afterId: number) =>
      utils.suite.output.fetch({ projectId, id, afterId, limit: OUTPUT_PAGE_SIZE }, { staleTime: 0 }),
    [utils, projectId, id],
  );
  return useTail(fetchPage, outputLines);
}

/** Starts a run of a configured suite; `onSuccess` gets the new run (the history shows it at once). */
export function useStartSuite(projectId: string) {
  const apply = useApplySuiteRun(projectId, null);
  return trpc.suite.start.useMutation({ onSuccess: (run: SuiteRun) => apply(run) });
}

/** Asks the server to stop a running suite; the run ends `cancelled` through the feed once its processes are gone. */
export function useCancelSuiteRun() {
  return trpc.suite.cancel.useMutation();
}
