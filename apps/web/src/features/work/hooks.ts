"use client";
import type { ChangeEvent, Task } from "@tower/shared";
import { useCallback, useMemo } from "react";
import { useDebounced, useTrailingThrottle } from "~/lib/throttle";
import { trpc } from "~/lib/trpc";
import { applyToPages, byName, taskMatches, type TaskFilters } from "./live-cache";

// Tasks: the list (keyset pages, live through `task.onChange`), the schedule preview, and the
// mutations, each writing its result into the visible list at once (the feed confirms it).
// Runs are in run-hooks.ts.

export const TASK_PAGE_SIZE = 50;

type TaskChange = { op: "created" | "updated"; task: Task } | { op: "deleted"; id: string };

function listInput(projectId: string, filters: TaskFilters) {
  return { projectId, limit: TASK_PAGE_SIZE, ...(filters.search ? { search: filters.search } : {}) };
}

function toChange(event: ChangeEvent): TaskChange | null {
  if (event.entity !== "task") return null;
  return event.op === "deleted" ? { op: "deleted", id: event.data.id } : { op: event.op, task: event.data };
}

/** Writes one change into the visible list; other views (another search) refetch when shown again. */
function useApplyTaskChange(projectId: string, filters: TaskFilters) {
  const utils = trpc.useUtils();
  return useCallback(
    (change: TaskChange) => {
      void utils.task.list.invalidate({ projectId }, { refetchType: "none" });
      const id = change.op === "deleted" ? change.id : change.task.id;
      const item = change.op !== "deleted" && taskMatches(change.task, filters) ? change.task : null;
      utils.task.list.setInfiniteData(listInput(projectId, filters), (data) => applyToPages(data, id, item, byName));
    },
    [utils, projectId, filters],
  );
}

/** The project's tasks by name, in keyset pages ("Load more"), kept live by `task.onChange`. */
export function useTaskList(projectId: string, filters: TaskFilters) {
  const input = useMemo(() => listInput(projectId, filters), [projectId, filters]);
  const query = trpc.task.list.useInfiniteQuery(input, {
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: Infinity, // the feed keeps it fresh
  });
  const apply = useApplyTaskChange(projectId, filters);
  const utils = trpc.useUtils();
  // The list has no event id to resume from: once the feed is open (and after each reconnect),
  // one refetch covers what changed before it.
  const refresh = useTrailingThrottle(
    useCallback(() => void utils.task.list.invalidate({ projectId }), [utils, projectId]),
  );
  trpc.task.onChange.useSubscription(
    { projectId, lastEventId: null },
    {
      onStarted: refresh,
      onData: (tracked) => {
        const change = toChange(tracked.data);
        if (change) apply(change);
      },
    },
  );
  const tasks = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  return { query, tasks };
}

/** Up to 200 tasks by name, for choosing one (the runs' task filter). */
export function useTaskChoices(projectId: string) {
  return trpc.task.list.useQuery({ projectId, limit: 200 }, { staleTime: 30_000 });
}

export function useCreateTask(projectId: string, filters: TaskFilters) {
  const apply = useApplyTaskChange(projectId, filters);
  return trpc.task.create.useMutation({ onSuccess: (task: Task) => apply({ op: "created", task }) });
}

/** Edits, and pausing or resuming (`paused` alone). */
export function useUpdateTask(projectId: string, filters: TaskFilters) {
  const apply = useApplyTaskChange(projectId, filters);
  return trpc.task.update.useMutation({ onSuccess: (task: Task) => apply({ op: "updated", task }) });
}

export function useDeleteTask(projectId: string, filters: TaskFilters) {
  const apply = useApplyTaskChange(projectId, filters);
  return trpc.task.delete.useMutation({ onSuccess: ({ id }) => apply({ op: "deleted", id }) });
}

/** Queues a run of the task now; the runs list learns of it through its own feed. */
export function useRunNow() {
  return trpc.task.runNow.useMutation();
}

/**
 * The next fire times of `cron` in `timezone`, asked of the server as the user types (once typing
 * pauses): the preview and its errors are croner's own, never a guess made in the browser.
 */
export function useSchedulePreview(projectId: string, cron: string, timezone: string) {
  const wantCron = cron.trim();
  const wantZone = timezone.trim() || "UTC";
  const settledCron = useDebounced(wantCron, 400);
  const settledZone = useDebounced(wantZone, 400);
  const typing = settledCron !== wantCron || settledZone !== wantZone;
  const query = trpc.task.preview.useQuery(
    { projectId, cron: settledCron, timezone: settledZone },
    {
      enabled: settledCron !== "",
      retry: false,
      staleTime: 30_000,
      placeholderData: (previous) => previous, // the last answer stays while the next one comes
    },
  );
  return { query, typing, enabled: settledCron !== "" };
}
