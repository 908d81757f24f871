import type { Run, RunStatus, Task } from "@tower/shared";
import type { InfiniteData } from "@tanstack/react-query";
import { keepLatest, keepLatestInPages } from "~/lib/latest-copy";

// Live changes written into the loaded pages of a keyset-paged list, so a pushed change lands where a
// refetch would put it (the server's filter and order, copied: they are SQL, nothing to share).

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface RunFilters {
  status?: RunStatus | undefined;
  taskId?: string | undefined;
  search?: string | undefined;
}

export interface TaskFilters {
  search?: string | undefined;
}

/** SQLite's LIKE folds the case of ASCII letters only. */
const foldAscii = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());
const contains = (text: string | null, needle: string) => text !== null && foldAscii(text).includes(foldAscii(needle));

/** `listRuns`: equal status and task, and the search in the task's name, the agent's name or the error. */
export function runMatches(run: Run, filters: RunFilters): boolean {
  if (filters.status && run.status !== filters.status) return false;
  if (filters.taskId && run.taskId !== filters.taskId) return false;
  if (filters.search && ![run.taskName, run.agentName, run.error].some((t) => contains(t, filters.search!)))
    return false;
  return true;
}

/** `listTasks`: the search in the name. */
export function taskMatches(task: Task, filters: TaskFilters): boolean {
  return !filters.search || contains(task.name, filters.search);
}

/** Newest first (runs, started workflows, suite runs): ids are UUIDv7, so they sort by creation time. */
export const newestFirst = (a: { id: string }, b: { id: string }) => (a.id > b.id ? -1 : a.id < b.id ? 1 : 0);
/** By name, A to Z (tasks, workflows), in SQLite's binary order. */
export const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Removes the old copy of `id`, then inserts `item` (when given and matching) where it sorts among
 * the loaded rows. A row that sorts after everything loaded stays out while more pages exist.
 */
export function applyToPages<T extends { id: string }, P extends Page<T>, TParam>(
  data: InfiniteData<P, TParam> | undefined,
  id: string,
  item: T | null,
  compare: (a: T, b: T) => number,
): InfiniteData<P, TParam> | undefined {
  if (!data || data.pages.length === 0) return data;
  const pages = data.pages.map((page) => ({ ...page, items: page.items.filter((row) => row.id !== id) }));
  if (item) {
    let placed = false;
    for (const page of pages) {
      const index = page.items.findIndex((row) => compare(item, row) < 0);
      if (index >= 0) {
        page.items.splice(index, 0, item);
        placed = true;
        break;
      }
    }
    const last = pages[pages.length - 1];
    if (!placed && last && last.nextCursor === null) last.items.push(item);
  }
  return { ...data, pages };
}

/** Where a run is within its attempt: the statuses it passes through, in order. */
const STEP: Record<RunStatus, number> = {
  queued: 0,
  leased: 1,
  running: 2,
  succeeded: 3,
  failed: 3,
  timed_out: 3,
  cancelled: 3,
  expired: 3,
};

/** A run's copies in the order they were written: by time, then, within a millisecond, by progress. */
const runOrder = (run: Run) => [run.updatedAt, run.attempt, STEP[run.status], run.logLines];

export const latestRunCopy = keepLatest(runOrder);

/** For the runs list under `filters`: a late read never puts back an older copy of a run. */
export const latestRunsInPages = (filters: RunFilters) =>
  keepLatestInPages(runOrder, (run) => runMatches(run, filters));
