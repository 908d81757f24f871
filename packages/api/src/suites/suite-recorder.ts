import { suiteOutput, suiteResults, suiteRuns, type TowerTx } from "@tower/db";
import { SUITE_RUN_LIMITS, type ChangeEvent, type SuiteRunStatus, type SuiteUpdate } from "@tower/shared";
import { eq, getTableColumns, sql, type Table } from "drizzle-orm";
import type { SQLiteUpdateSetSource } from "drizzle-orm/sqlite-core";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import type { SuiteStream } from "./suite-process";
import { suiteRunChange } from "./suite-run-rows";

/** How often what a running suite printed and reported is written and shown: often enough to look live. */
export const SUITE_FLUSH_MS = 250;

/**
 * Bound variables one INSERT may use. 999 is the lowest limit any SQLite build has had (ours allows
 * 32,766), so a flush of thousands of lines becomes several statements rather than one that fails.
 */
const MAX_VARIABLES = 999;

/** `rows` in slices whose INSERT stays within MAX_VARIABLES (at most one variable per column per row). */
function* chunks<T>(rows: T[], table: Table): Generator<T[]> {
  const size = Math.floor(MAX_VARIABLES / Object.keys(getTableColumns(table)).length);
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

type RunFields = Partial<typeof suiteRuns.$inferInsert>;

/**
 * Gathers a running suite's output lines and results and writes them together, a few times a
 * second, with one change that carries the new counts: a suite that reports thousands of tests
 * a second costs a few transactions, not thousands.
 *
 * A write that fails (a full disk, a broken database) must not leave the run `running` forever:
 * the recorder stops recording, calls `onFailure` (the service stops the command) and `close`
 * then ends the run as an error saying why.
 */
export class SuiteRecorder {
  #lines: { stream: SuiteStream; line: string }[] = [];
  #results: Extract<SuiteUpdate, { kind: "test" }>["test"][] = [];
  #total: number | null = null;
  /** Every problem so far (a handful at most): the row holds the whole list. */
  #problems: string[] = [];
  #newProblems = false;
  #outputLines = 0;
  #resultCount = 0;
  #resultsDropped = false;
  /** Why recording failed, once it has; nothing more is gathered then. */
  #failure: string | null = null;
  #timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly deps: Deps,
    private readonly runId: string,
    private readonly onFailure: () => void = () => {},
  ) {
    this.#timer = setInterval(() => this.#flushOrFail(), SUITE_FLUSH_MS);
    this.#timer.unref?.();
  }

  output(line: string, stream: SuiteStream) {
    if (this.#failure || this.#outputLines + this.#lines.length > SUITE_RUN_LIMITS.outputLines) return;
    if (this.#outputLines + this.#lines.length === SUITE_RUN_LIMITS.outputLines) {
      line = `[tower] later output dropped: a run keeps at most ${SUITE_RUN_LIMITS.outputLines} lines`;
    }
    this.#lines.push({ stream, line });
  }

  update(update: SuiteUpdate) {
    if (this.#failure) return;
    if (update.kind === "total") this.#total = update.total;
    else if (update.kind === "problem") this.#problem(update.message);
    else if (this.#resultCount + this.#results.length < SUITE_RUN_LIMITS.results) this.#results.push(update.test);
    else if (!this.#resultsDropped) {
      this.#resultsDropped = true;
      this.#problem(`Later results were dropped: a run keeps at most ${SUITE_RUN_LIMITS.results}`);
    }
  }

  #problem(message: string) {
    this.#problems.push(message);
    this.#newProblems = true;
  }

  /** Writes what has gathered, in one transaction; nothing when nothing did. Throws what the database throws. */
  flush(final: RunFields = {}) {
    const lines = this.#lines.splice(0);
    const results = this.#results.splice(0);
    const problems = this.#newProblems ? [...this.#problems] : null;
    this.#newProblems = false;
    const total = this.#total;
    this.#total = null;
    if (lines.length + results.length === 0 && !problems && total === null && Object.keys(final).length === 0) return;
    const { deps, runId } = this;
    const now = deps.clock.now();
    let event: ChangeEvent | null = null;
    deps.db.transaction((tx) => {
      for (const chunk of chunks(lines, suiteOutput))
        tx.insert(suiteOutput)
          .values(chunk.map((l) => ({ runId, ...l })))
          .run();
      for (const chunk of chunks(results, suiteResults))
        tx.insert(suiteResults)
          .values(chunk.map((r) => ({ runId, ...r, file: r.file ?? null, message: r.message ?? null })))
          .run();
      const count = (status: string) => results.filter((r) => r.status === status).length;
      event = this.#updateRun(tx, now, {
        passed: sql`${suiteRuns.passed} + ${count("passed")}`,
        failed: sql`${suiteRuns.failed} + ${count("failed")}`,
        skipped: sql`${suiteRuns.skipped} + ${count("skipped")}`,
        outputLines: sql`${suiteRuns.outputLines} + ${lines.length}`,
        ...(total !== null ? { total } : {}),
        ...(problems ? { problems } : {}),
        ...final,
      });
    });
    // Only once the transaction held: a failed one wrote nothing, so the counts stay true.
    this.#outputLines += lines.length;
    this.#resultCount += results.length;
    publishChanges(deps, [event]);
  }

  #updateRun(tx: TowerTx, now: number, fields: SQLiteUpdateSetSource<typeof suiteRuns>) {
    const row = tx.update(suiteRuns).set(fields).where(eq(suiteRuns.id, this.runId)).returning().get();
    return row ? suiteRunChange(this.deps.state, tx, row, "updated", now) : null;
  }

  /** Flushes; a failure ends the recording (the run is stopped) instead of escaping a timer. */
  #flushOrFail(final: RunFields = {}): boolean {
    if (this.#failure) return false;
    try {
      this.flush(final);
      return true;
    } catch (error) {
      this.#failure = `Recording this run failed: ${error instanceof Error ? error.message : String(error)}; it was stopped, and what it printed and reported after the last write was not kept`;
      clearInterval(this.#timer);
      this.#lines = [];
      this.#results = [];
      this.deps.logger.error({ err: error, runId: this.runId }, "suite run recording failed");
      this.onFailure();
      return false;
    }
  }

  /**
   * The last write, with how the run ended; returns the status recorded. After a failed write the
   * run ends `error` in one small update, so it never stays `running`; only a database that
   * refuses even that makes this throw.
   */
  close(final: RunFields & { status: SuiteRunStatus }): SuiteRunStatus {
    clearInterval(this.#timer);
    if (this.#flushOrFail(final)) return final.status;
    const now = this.deps.clock.now();
    const problems = [...(final.problems ?? this.#problems), this.#failure!];
    const event = this.deps.db.transaction((tx) => this.#updateRun(tx, now, { ...final, status: "error", problems }));
    publishChanges(this.deps, [event]);
    return "error";
  }
}
