"use client";
import type { ChangeEvent, Run, WorkflowRun } from "@tower/shared";
import { useCallback, useMemo } from "react";
import { useTrailingThrottle } from "~/lib/throttle";
import { trpc } from "~/lib/trpc";
import { applyToPages, newestFirst } from "~/features/work";

// Started workflows: the live list (newest first), one live with its steps' runs, start and stop.

export const WORKFLOW_RUN_PAGE_SIZE = 20;

const listInput = (projectId: string) => ({ projectId, limit: WORKFLOW_RUN_PAGE_SIZE });

const workflowRunOf = (event: ChangeEvent): WorkflowRun | null => (event.entity === "workflowRun" ? event.data : null);
const runOf = (event: ChangeEvent): Run | null => (event.entity === "run" ? event.data : null);

/** Writes a started workflow into its own cache and into the list where a refetch would put it. */
function useApplyWorkflowRun(projectId: string) {
  const utils = trpc.useUtils();
  return useCallback(
    (run: WorkflowRun) => {
      utils.workflow.runById.setData({ projectId, id: run.id }, run);
      utils.workflow.runs.setInfiniteData(listInput(projectId), (data) => applyToPages(data, run.id, run, newestFirst));
    },
    [utils, projectId],
  );
}

/** The project's started workflows, newest first, in keyset pages, live through `workflow.onRunChange`. */
export function useWorkflowRunList(projectId: string) {
  const query = trpc.workflow.runs.useInfiniteQuery(listInput(projectId), {
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: Infinity, // the feed keeps it fresh
  });
  const apply = useApplyWorkflowRun(projectId);
  const utils = trpc.useUtils();
  // No event id comes with the list: one refetch once the feed is open covers what came before it.
  const refresh = useTrailingThrottle(
    useCallback(() => void utils.workflow.runs.invalidate({ projectId }), [utils, projectId]),
  );
  trpc.workflow.onRunChange.useSubscription(
    { projectId, lastEventId: null },
    {
      onStarted: refresh,
      onData: (tracked) => {
        const run = workflowRunOf(tracked.data);
        if (run) apply(run);
      },
    },
  );
  const runs = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  return { query, runs };
}

/**
 * One started workflow, kept live by `workflow.onRunChange`: it moves when a step ends. Between
 * those moves the step's own run goes queued → leased → running, which only `run.onChange` tells:
 * its runs land in `run.byId`'s cache, where each step's row reads them (step-list.tsx).
 */
export function useWorkflowRun(projectId: string, id: string) {
  const query = trpc.workflow.runById.useQuery({ projectId, id }, { staleTime: Infinity });
  const apply = useApplyWorkflowRun(projectId);
  const utils = trpc.useUtils();
  // What changed between the load and the feeds opening (or while reconnecting).
  const refresh = useTrailingThrottle(
    useCallback(() => {
      void utils.workflow.runById.invalidate({ projectId, id });
      void utils.run.byId.invalidate({ projectId });
    }, [utils, projectId, id]),
  );
  trpc.workflow.onRunChange.useSubscription(
    { projectId, lastEventId: null },
    {
      onStarted: refresh,
      onData: (tracked) => {
        const run = workflowRunOf(tracked.data);
        // Into the list too, so going back to it shows where this one stands.
        if (run?.id === id) apply(run);
      },
    },
  );
  trpc.run.onChange.useSubscription(
    { projectId, lastEventId: null },
    {
      onStarted: refresh,
      onData: (tracked) => {
        const run = runOf(tracked.data);
        if (run?.workflowRunId === id) utils.run.byId.setData({ projectId, id: run.id }, run);
      },
    },
  );
  return query;
}

/**
 * A step's run as it stands now (the cache the page's `run.onChange` feed writes); `load`: fetch it
 * if not held yet, else only read what is held.
 */
export function useStepRun(projectId: string, runId: string | null, load: boolean) {
  return trpc.run.byId.useQuery(
    { projectId, id: runId ?? "" },
    { enabled: load && runId !== null, staleTime: Infinity, retry: false },
  );
}

/** Starts a workflow by id; `onSuccess` gets the started workflow (its first step queued). */
export function useStartWorkflow(projectId: string) {
  const apply = useApplyWorkflowRun(projectId);
  return trpc.workflow.start.useMutation({ onSuccess: (run) => apply(run) });
}

/** Cancels the running step and skips the rest. */
export function useStopWorkflow(projectId: string) {
  const apply = useApplyWorkflowRun(projectId);
  return trpc.workflow.stop.useMutation({ onSuccess: (run) => apply(run) });
}
