"use client";
import type { Task } from "@tower/shared";
import { hasRole } from "@tower/shared/domain";
import Link from "next/link";
import { useState } from "react";
import { useProject } from "~/features/shell";
import { useNow } from "~/lib/approval-feed";
import { lazyComponent } from "~/ui/lazy";
import { Empty, ErrorText, LoadMore, QueryView } from "~/ui/states";
import { useRunNow, useTaskList, useUpdateTask } from "./hooks";
import type { TaskDialog } from "./task-dialogs";
import { TaskTable, type TaskActions } from "./task-list";
import { useTaskFilters } from "./use-work-filters";
import { runHref, WorkHeader } from "./work-header";

// The dialogs and their mutations open on a click; their code loads then, not with the page.
const TaskDialogs = lazyComponent(() => import("./task-dialogs").then((m) => m.TaskDialogs));

/** Work → Tasks: the project's tasks, live, with search, schedules and their next runs, and actions. */
export function TasksPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const canOperate = hasRole(current.role, "operator");
  const filters = useTaskFilters();
  const { query, tasks } = useTaskList(projectId, filters.filters);
  const update = useUpdateTask(projectId, filters.filters);
  const runNow = useRunNow();
  const [dialog, setDialog] = useState<TaskDialog | null>(null);
  const [queued, setQueued] = useState<{ task: string; runId: string } | null>(null);
  const now = useNow(30_000);

  const actions: TaskActions = {
    canOperate,
    busyId: update.isPending
      ? (update.variables?.id ?? null)
      : runNow.isPending
        ? (runNow.variables?.id ?? null)
        : null,
    onRunNow: (task: Task) =>
      runNow.mutate({ projectId, id: task.id }, { onSuccess: (run) => setQueued({ task: task.name, runId: run.id }) }),
    onPause: (task, paused) => update.mutate({ projectId, id: task.id, paused }),
    onEdit: (task) => setDialog({ kind: "edit", task }),
    onDelete: (task) => setDialog({ kind: "delete", task }),
  };

  return (
    <section className="page work">
      <WorkHeader view="tasks" projectId={projectId}>
        {canOperate ? (
          <button type="button" className="primary" onClick={() => setDialog({ kind: "create" })}>
            New task
          </button>
        ) : null}
      </WorkHeader>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div className="filter filter-search">
          <label htmlFor="task-search">Search tasks</label>
          <input
            id="task-search"
            type="search"
            value={filters.search}
            onChange={(e) => filters.setSearch(e.target.value)}
            placeholder="Part of a task's name"
          />
        </div>
      </form>
      {queued ? (
        <div className="notice" role="status">
          <p>
            A run of <strong>{queued.task}</strong> is queued.{" "}
            <Link href={runHref(queued.runId, projectId)}>Open the run</Link>
          </p>
          <button type="button" className="link-button" onClick={() => setQueued(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
      {runNow.error ? <ErrorText error={runNow.error} context="Could not start a run" /> : null}
      {update.error ? <ErrorText error={update.error} context="Could not change the task" /> : null}
      <QueryView
        query={{ isPending: query.isPending, error: query.error, data: tasks }}
        loading="Loading tasks…"
        failure="Could not load tasks"
        empty={
          filters.filtered ? (
            <Empty>No task matches this search.</Empty>
          ) : (
            <Empty detail={canOperate ? "Create one with New task, then run it now or on a schedule." : undefined}>
              No tasks yet.
            </Empty>
          )
        }
      >
        {(rows) => <TaskTable tasks={rows} now={now} projectId={projectId} actions={actions} />}
      </QueryView>
      <LoadMore query={query} />
      {dialog ? (
        <TaskDialogs open={dialog} projectId={projectId} filters={filters.filters} onClose={() => setDialog(null)} />
      ) : null}
    </section>
  );
}
