"use client";
import { RUN_STATUSES } from "@tower/shared/domain";
import { useProject } from "~/features/shell";
import { useNow } from "~/lib/approval-feed";
import { FilterSelect } from "~/ui/filter-select";
import { Empty, Loading, LoadMore, QueryView } from "~/ui/states";
import { RUN_STATUS_LABELS } from "./format";
import { useTaskChoices } from "./hooks";
import { useRunList } from "./run-hooks";
import { RunTable } from "./run-list";
import { useRunFilters, type RunFilterState } from "./use-work-filters";
import { WorkHeader } from "./work-header";

const STATUS_OPTIONS = RUN_STATUSES.map((status) => ({ value: status, label: RUN_STATUS_LABELS[status] }));

function RunFilterForm({ projectId, filters }: { projectId: string; filters: RunFilterState }) {
  const tasks = useTaskChoices(projectId);
  return (
    <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <div className="filter filter-search">
        <label htmlFor="run-search">Search runs</label>
        <input
          id="run-search"
          type="search"
          value={filters.search}
          onChange={(e) => filters.setSearch(e.target.value)}
          placeholder="Task, agent or error"
        />
      </div>
      <FilterSelect
        id="run-status"
        label="Status"
        value={filters.view.status}
        options={STATUS_OPTIONS}
        anyLabel="Any status"
        onChange={(status) => filters.set({ status })}
      />
      <FilterSelect
        id="run-task"
        label="Task"
        value={filters.view.taskId}
        options={(tasks.data?.items ?? []).map((task) => ({ value: task.id, label: task.name }))}
        anyLabel="Any task"
        onChange={(taskId) => filters.set({ taskId })}
      />
      {filters.filtered ? (
        <button type="button" className="link-button" onClick={filters.clear}>
          Clear filters
        </button>
      ) : null}
    </form>
  );
}

/** Work → Runs: every run, newest first and live (status, progress, holder), filtered, in keyset pages. */
export function RunsPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const filters = useRunFilters();
  const { query, runs } = useRunList(projectId, filters.filters);
  const now = useNow(5_000);

  return (
    <section className="page work">
      <WorkHeader view="runs" projectId={projectId} />
      <RunFilterForm projectId={projectId} filters={filters} />
      <QueryView
        query={{ isPending: query.isPending, error: query.error, data: runs }}
        loading="Loading runs…"
        failure="Could not load runs"
        empty={
          <Empty>{filters.filtered ? "No runs match these filters." : "No runs yet: start one from Tasks."}</Empty>
        }
      >
        {(rows) => <RunTable runs={rows} now={now} projectId={projectId} />}
      </QueryView>
      <LoadMore query={query} />
      {query.isFetchingNextPage ? <Loading label="Loading older runs…" /> : null}
    </section>
  );
}
