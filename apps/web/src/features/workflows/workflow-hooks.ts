"use client";
import type { ChangeEvent, Workflow } from "@tower/shared";
import { useCallback, useMemo } from "react";
import { useTrailingThrottle } from "~/lib/throttle";
import { trpc } from "~/lib/trpc";
import { applyToPages, byName } from "~/features/work";

// Workflow definitions: the list (keyset pages by name, live through `workflow.onChange`) and the
// mutations, each writing its result into the list at once (the feed confirms it). Started
// workflows are in workflow-run-hooks.ts.

export const WORKFLOW_PAGE_SIZE = 50;

type WorkflowChange = { op: "created" | "updated"; workflow: Workflow } | { op: "deleted"; id: string };

const listInput = (projectId: string) => ({ projectId, limit: WORKFLOW_PAGE_SIZE });

function toChange(event: ChangeEvent): WorkflowChange | null {
  if (event.entity !== "workflow") return null;
  return event.op === "deleted" ? { op: "deleted", id: event.data.id } : { op: event.op, workflow: event.data };
}

function useApplyWorkflowChange(projectId: string) {
  const utils = trpc.useUtils();
  return useCallback(
    (change: WorkflowChange) => {
      const id = change.op === "deleted" ? change.id : change.workflow.id;
      if (change.op !== "deleted") utils.workflow.byId.setData({ projectId, id }, change.workflow);
      utils.workflow.list.setInfiniteData(listInput(projectId), (data) =>
        applyToPages(data, id, change.op === "deleted" ? null : change.workflow, byName),
      );
    },
    [utils, projectId],
  );
}

/** The project's workflows by name, in keyset pages ("Load more"), kept live by `workflow.onChange`. */
export function useWorkflowList(projectId: string) {
  const query = trpc.workflow.list.useInfiniteQuery(listInput(projectId), {
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: Infinity, // the feed keeps it fresh
  });
  const apply = useApplyWorkflowChange(projectId);
  const utils = trpc.useUtils();
  // The list has no event id to resume from: once the feed is open (and after each reconnect),
  // one refetch covers what changed before it.
  const refresh = useTrailingThrottle(
    useCallback(() => void utils.workflow.list.invalidate({ projectId }), [utils, projectId]),
  );
  trpc.workflow.onChange.useSubscription(
    { projectId, lastEventId: null },
    {
      onStarted: refresh,
      onData: (tracked) => {
        const change = toChange(tracked.data);
        if (change) apply(change);
      },
    },
  );
  const workflows = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  return { query, workflows };
}

export function useCreateWorkflow(projectId: string) {
  const apply = useApplyWorkflowChange(projectId);
  return trpc.workflow.create.useMutation({ onSuccess: (workflow) => apply({ op: "created", workflow }) });
}

export function useUpdateWorkflow(projectId: string) {
  const apply = useApplyWorkflowChange(projectId);
  return trpc.workflow.update.useMutation({ onSuccess: (workflow) => apply({ op: "updated", workflow }) });
}

export function useDeleteWorkflow(projectId: string) {
  const apply = useApplyWorkflowChange(projectId);
  return trpc.workflow.delete.useMutation({ onSuccess: ({ id }) => apply({ op: "deleted", id }) });
}
