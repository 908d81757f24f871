import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { SuiteRunStatus, TestStatus } from "@tower/shared";
import { projects } from "./auth";
import { epochMs, jsonText } from "./columns";

/**
 * Each run of a test suite (the suites themselves are the administrator's configuration, not
 * rows): who started it, its counts as results arrive, and how it ended. Kept as history.
 */
export const suiteRuns = sqliteTable(
  "suite_runs",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    suiteName: text("suite_name").notNull(),
    suiteTitle: text("suite_title").notNull(),
    status: text("status").$type<SuiteRunStatus>().notNull(),
    startedBy: text("started_by").notNull(),
    passed: integer("passed").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    total: integer("total"),
    exitCode: integer("exit_code"),
    signal: text("signal"),
    problems: jsonText<string[]>("problems").notNull().default([]),
    outputLines: integer("output_lines").notNull().default(0),
    startedAt: epochMs("started_at").notNull(),
    finishedAt: epochMs("finished_at"),
    durationMs: integer("duration_ms"),
    /**
     * The command's process group (its detached leader's pid), written as soon as it starts: a
     * server that crashed leaves the group running, and the next start stops it. Null before the
     * start, when it could not start, and for runs older than this column.
     */
    processGroup: integer("process_group"),
    /**
     * The leader's start time as Linux reports it (/proc/<pid>/stat field 22, clock ticks since
     * boot): with the pid it names this process, not one that reused the id later. Null where
     * there is no /proc.
     */
    processStartTime: integer("process_start_time"),
  },
  (t) => [
    index("suite_runs_project_idx").on(t.projectId, t.id),
    index("suite_runs_suite_idx").on(t.projectId, t.suiteName, t.id),
  ],
);

/** One test's result in a run, in the order the runner reported them. */
export const suiteResults = sqliteTable(
  "suite_results",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: text("run_id")
      .notNull()
      .references(() => suiteRuns.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    file: text("file"),
    status: text("status").$type<TestStatus>().notNull(),
    durationMs: integer("duration_ms").notNull(),
    message: text("message"),
  },
  (t) => [
    index("suite_results_run_idx").on(t.runId, t.id),
    index("suite_results_status_idx").on(t.runId, t.status, t.id),
  ],
);

/** What the suite's command printed, line by line (bounded per run). */
export const suiteOutput = sqliteTable(
  "suite_output",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: text("run_id")
      .notNull()
      .references(() => suiteRuns.id, { onDelete: "cascade" }),
    stream: text("stream").$type<"stdout" | "stderr">().notNull(),
    line: text("line").notNull(),
  },
  (t) => [index("suite_output_run_idx").on(t.runId, t.id)],
);
