import type { SuiteFormat, SuiteRun, SuiteRunStatus, TestStatus } from "@tower/shared";
import { plural } from "~/lib/format";
import { keepLatest, keepLatestInPages } from "~/lib/latest-copy";

// How suites read: statuses, formats, counts and test durations in words.

/** A suite run's status as its badge reads it: words, never colour alone. */
export const SUITE_RUN_STATUS_LABELS: Record<SuiteRunStatus, string> = {
  running: "running",
  passed: "passed",
  failed: "failed",
  cancelled: "cancelled",
  timed_out: "timed out",
  error: "error",
};

export const TEST_STATUS_LABELS: Record<TestStatus, string> = {
  passed: "passed",
  failed: "failed",
  skipped: "skipped",
};

/** Where the results come from, for people who configure suites. */
export const SUITE_FORMAT_LABELS: Record<SuiteFormat, string> = {
  junit: "JUnit XML",
  "vitest-json": "Vitest JSON",
  "playwright-json": "Playwright JSON",
  "node-tap": "node:test TAP",
  "tower-jsonl": "Tower live reporter",
};

/** The tests a run has reported so far. */
export const doneOf = (run: Pick<SuiteRun, "passed" | "failed" | "skipped">) => run.passed + run.failed + run.skipped;

/**
 * A run's copies in the order they were written: a run only moves forward (running, then ended;
 * results, output lines and problems only grow).
 */
const suiteRunOrder = (run: SuiteRun) => [
  run.status === "running" ? 0 : 1,
  doneOf(run) + run.outputLines + run.problems.length,
];

export const latestSuiteRunCopy = keepLatest(suiteRunOrder);

/** For the history of one suite's runs (or all): a late read never puts back an older copy of a run. */
export const latestSuiteRunsInPages = (suite: string | undefined) =>
  keepLatestInPages(suiteRunOrder, (run: SuiteRun) => !suite || run.suiteName === suite);

/** "3 passed, 1 failed, 2 skipped", leaving out the zeros; "no results yet" before any. */
export function countsText(run: Pick<SuiteRun, "passed" | "failed" | "skipped">): string {
  const parts = [
    run.passed ? `${run.passed} passed` : "",
    run.failed ? `${run.failed} failed` : "",
    run.skipped ? `${run.skipped} skipped` : "",
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(", ") : "no results yet";
}

/** A test's time: "12 ms", "1.4 s", then whole seconds. */
export function testDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${Math.round(ms / 1_000)} s`;
}

/** "1 test", "4 tests". */
export const testsText = (n: number) => plural(n, "test");
