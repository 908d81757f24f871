"use client";
import type { RunStatus } from "@tower/shared";
import { LIMITS, RUN_STATUSES } from "@tower/shared/domain";
import { useMemo } from "react";
import { oneOf, text, useSearchState, useSearchText, type Codecs } from "~/lib/search-params";
import type { RunFilters, TaskFilters } from "./live-cache";

// The Work pages' views as the URL holds them (`/work?q=nightly`, `/work/runs?status=running&taskId=…`),
// with the names, choices and limits of `task.list` and `run.list`; a value they would refuse is ignored.

interface TaskView {
  q: string;
}
const TASK_CODECS: Codecs<TaskView> = { q: text(LIMITS.shortTextLength) };

interface RunView {
  status: RunStatus | "";
  taskId: string;
  q: string;
}
const RUN_CODECS: Codecs<RunView> = {
  status: oneOf(RUN_STATUSES, ""),
  taskId: text(64), // IdSchema
  q: text(LIMITS.shortTextLength),
};

/** The tasks' search box: typed text is local and reaches the URL (and the query) once typing pauses. */
export function useTaskFilters() {
  const [view, setView] = useSearchState(TASK_CODECS);
  const [search, setSearch] = useSearchText(view.q, (q, mode) => setView({ q }, mode));
  const filters = useMemo<TaskFilters>(() => ({ search: view.q || undefined }), [view.q]);
  return { search, setSearch, filters, filtered: Boolean(view.q) };
}

/** The runs' filters: status and task are one history entry per choice, the search one per burst of typing. */
export function useRunFilters() {
  const [view, setView] = useSearchState(RUN_CODECS);
  const [search, setSearch] = useSearchText(view.q, (q, mode) => setView({ q }, mode));
  const { status, taskId, q } = view;
  const filters = useMemo<RunFilters>(
    () => ({ status: status || undefined, taskId: taskId || undefined, search: q || undefined }),
    [status, taskId, q],
  );
  return {
    view,
    set: setView,
    search,
    setSearch,
    filters,
    filtered: Boolean(status || taskId || q),
    clear: () => {
      setSearch("");
      setView({ status: "", taskId: "", q: "" });
    },
  };
}

export type RunFilterState = ReturnType<typeof useRunFilters>;
