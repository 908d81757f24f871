"use client";
import type { SuiteInfo } from "@tower/shared";
import { hasRole } from "@tower/shared/domain";
import { useRouter } from "next/navigation";
import { useProject } from "~/features/shell";
import { WorkHeader, workHref } from "~/features/work";
import { useNow } from "~/lib/approval-feed";
import { FilterSelect } from "~/ui/filter-select";
import { Empty, ErrorText, Loading, LoadMore, QueryView } from "~/ui/states";
import { useStartSuite, useSuiteRunList, useSuites } from "./suite-hooks";
import { SuiteList, type SuiteActions } from "./suite-list";
import { SuiteRunTable } from "./suite-run-table";
import { useHistoryFilter } from "./use-suite-view";
import "./suites.css";

/** Said when the server offers no suites: they are configured there, never in the browser. */
function NoSuites() {
  return (
    <Empty
      detail={
        <>
          An administrator lists them in a YAML file on the server: <code>TOWER_SUITES_PATH</code>, or{" "}
          <code>tower-suites.yaml</code> beside the database. Tower reads it when it starts; suites are never edited in
          the browser.
        </>
      }
    >
      No test suites are configured.
    </Empty>
  );
}

/**
 * Work → Test suites: the suites the server offers (Start, for operators and above) and the history of
 * their runs, newest first and live (status and counts as they move), in keyset pages.
 */
export function SuitesPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const canOperate = hasRole(current.role, "operator");
  const suites = useSuites(projectId);
  const history = useHistoryFilter();
  const { query, runs } = useSuiteRunList(projectId, history.suite);
  const start = useStartSuite(projectId);
  const router = useRouter();
  const now = useNow(5_000);

  const actions: SuiteActions = {
    canOperate,
    startingName: start.isPending ? (start.variables?.name ?? null) : null,
    onStart: (suite: SuiteInfo) =>
      start.mutate(
        { projectId, name: suite.name },
        // Straight to the run, to watch it.
        { onSuccess: (run) => router.push(workHref(`/work/suites/runs/${encodeURIComponent(run.id)}`, projectId)) },
      ),
  };
  const configured = suites.data?.suites ?? [];

  return (
    <section className="page work suites">
      <WorkHeader view="suites" projectId={projectId} />
      <section aria-labelledby="suites-title">
        <h2 id="suites-title">Suites</h2>
        {start.error ? <ErrorText error={start.error} context="Could not start the suite" /> : null}
        <QueryView
          query={{ isPending: suites.isPending, error: suites.error, data: configured }}
          loading="Loading suites…"
          failure="Could not load the suites"
          empty={<NoSuites />}
        >
          {(rows) => <SuiteList suites={rows} runs={runs} projectId={projectId} actions={actions} />}
        </QueryView>
        {suites.data?.file ? (
          <p className="muted suite-file">
            Configured on the server in <code>{suites.data.file}</code>.
          </p>
        ) : null}
      </section>
      <section aria-labelledby="suite-history-title">
        <div className="list-head">
          <h2 id="suite-history-title">History</h2>
          {configured.length > 0 ? (
            <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
              <FilterSelect
                id="suite-history-suite"
                label="Suite"
                value={history.suite ?? ""}
                options={configured.map((suite) => ({ value: suite.name, label: suite.title }))}
                anyLabel="Every suite"
                onChange={history.setSuite}
              />
            </form>
          ) : null}
        </div>
        <QueryView
          query={{ isPending: query.isPending, error: query.error, data: runs }}
          loading="Loading suite runs…"
          failure="Could not load suite runs"
          empty={
            <Empty>
              {history.suite
                ? "This suite has not run yet."
                : canOperate && configured.length > 0
                  ? "No suite has run yet: start one above."
                  : "No suite has run yet."}
            </Empty>
          }
        >
          {(rows) => <SuiteRunTable runs={rows} now={now} projectId={projectId} />}
        </QueryView>
        <LoadMore query={query} />
        {query.isFetchingNextPage ? <Loading label="Loading older runs…" /> : null}
      </section>
    </section>
  );
}
