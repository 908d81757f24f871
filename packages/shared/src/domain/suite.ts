// Test suites started from the dashboard (DESIGN.md, capability 8): the zod-free constants and the
// types they are declared with, so a browser can use them without loading zod.

/**
 * How a suite reports its results: a test runner's own machine-readable reporter, or Tower's live
 * line protocol (`tower-jsonl`, docs/decisions/test-suite-results.md).
 */
export const SUITE_FORMATS = ["junit", "vitest-json", "playwright-json", "node-tap", "tower-jsonl"] as const;
export type SuiteFormat = (typeof SUITE_FORMATS)[number];

/** Formats whose report a runner may write to the suite's `resultsFile` instead of stdout. */
export const SUITE_FILE_FORMATS: readonly SuiteFormat[] = ["junit", "vitest-json", "playwright-json"];

/** What became of one test; todo and pending tests count as skipped. */
export const TEST_STATUSES = ["passed", "failed", "skipped"] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

/**
 * How a run of a suite ended. `passed` only when the command exited 0 and no test failed; `error`
 * when the command could not be started or its results could not be read after a clean exit.
 */
export const SUITE_OUTCOMES = ["passed", "failed", "cancelled", "timed_out", "error"] as const;
export type SuiteOutcome = (typeof SUITE_OUTCOMES)[number];

export const SUITE_LIMITS = {
  /** A suite's name is its id in URLs and history: short, lowercase, dashes. */
  nameLength: 80,
  titleLength: 200,
  descriptionLength: 2_000,
  suitesPerFile: 200,
  commandLength: 8_000,
  argvItems: 500,
  envVars: 200,
  defaultTimeoutSeconds: 600,
  /** Six hours: a run longer than that is stuck, not slow. */
  maxTimeoutSeconds: 21_600,
  /** A test's name (suite titles and its own, joined by " > "). */
  testNameLength: 1_000,
  /** A failure message; the whole output stays in the run's log. */
  messageLength: 4_000,
} as const;

/** A run of a suite: `running` until its command ends, then how it ended. */
export const SUITE_RUN_STATUSES = ["running", ...SUITE_OUTCOMES] as const;
export type SuiteRunStatus = (typeof SUITE_RUN_STATUSES)[number];

/** A suite as the dashboard lists it: what the administrator configured (never the command's environment). */
export interface SuiteInfo {
  name: string;
  title: string;
  description: string;
  format: SuiteFormat;
  timeoutSeconds: number;
  /** The command as configured, for people to see what runs (a string, or the argv joined). */
  command: string;
}

export interface SuiteRun {
  id: string;
  projectId: string;
  suiteName: string;
  suiteTitle: string;
  status: SuiteRunStatus;
  startedBy: string;
  passed: number;
  failed: number;
  skipped: number;
  /** The number of tests once the runner announced it; null before (or for formats that never do). */
  total: number | null;
  exitCode: number | null;
  signal: string | null;
  /** What kept results from being read, or why the run ended as it did (timeout, no results file…). */
  problems: string[];
  outputLines: number;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
}

export interface SuiteTestResult {
  id: number;
  runId: string;
  name: string;
  file: string | null;
  status: TestStatus;
  durationMs: number;
  message: string | null;
}

export interface SuiteOutputLine {
  id: number;
  stream: "stdout" | "stderr";
  line: string;
}

export const SUITE_RUN_LIMITS = {
  /** Output lines kept per run; past this the run says later lines were dropped. */
  outputLines: 20_000,
  /** Test results kept per run. */
  results: 50_000,
} as const;
