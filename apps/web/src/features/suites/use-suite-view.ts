"use client";
import type { TestStatus } from "@tower/shared";
import { SUITE_LIMITS, TEST_STATUSES } from "@tower/shared/domain";
import { oneOf, useSearchState, type Codecs, type ParamCodec } from "~/lib/search-params";

// The suites pages' views as the URL holds them: the history of one suite (`/work/suites?suite=unit`)
// and one status of a run's results (`/work/suites/runs/…?results=failed`); a value the page does not
// accept is ignored.

interface HistoryView {
  suite: string;
}
/** A suite's name as `SuiteNameSchema` takes it (a slug), else none: the server would refuse it. */
const suiteName: ParamCodec<string> = {
  read: (raw) =>
    raw !== null && raw.length <= SUITE_LIMITS.nameLength && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(raw) ? raw : "",
  write: (value) => value || null,
};
const HISTORY_CODECS: Codecs<HistoryView> = { suite: suiteName };

interface ResultsView {
  results: TestStatus | "";
}
const RESULTS_CODECS: Codecs<ResultsView> = { results: oneOf(TEST_STATUSES, "") };

/** The history's suite: one history entry per choice. */
export function useHistoryFilter() {
  const [view, setView] = useSearchState(HISTORY_CODECS);
  return { suite: view.suite || undefined, setSuite: (suite: string) => setView({ suite }) };
}

/** Which of a run's results are shown: all ("") or one status. */
export function useResultsFilter() {
  const [view, setView] = useSearchState(RESULTS_CODECS);
  return { status: view.results || undefined, setStatus: (results: TestStatus | "") => setView({ results }) };
}
