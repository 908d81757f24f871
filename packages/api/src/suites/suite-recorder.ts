import { suiteOutput, suiteResults, suiteRuns } from "@tower/db";
import { SUITE_RUN_LIMITS, type ChangeEvent, type SuiteUpdate } from "@tower/shared";
import { eq, sql } from "drizzle-orm";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import type { SuiteStream } from "./suite-process";
import { suiteRunChange } from "./suite-run-rows";

/** How often what a running suite printed and reported is written and shown: often enough to look live. */
export const SUITE_FLUSH_MS = 250;

/**
 * Gathers a running suite's output lines and results and writes them together, a few times a
 * second, with one change that carries the new counts: a suite that reports thousands of tests
 * a second costs a few transactions, not thousands.
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
  #timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly deps: Deps,
    private readonly runId: string,
  ) {
    this.#timer = setInterval(() => this.flush(), SUITE_FLUSH_MS);
    this.#timer.unref?.();
  }

  output(line: string, stream: SuiteStream) {
    if (this.#outputLines + this.#lines.length > SUITE_RUN_LIMITS.outputLines) return;
    if (this.#outputLines + this.#lines.length === SUITE_RUN_LIMITS.outputLines) {
      line = `[tower] later output dropped: a run keeps at most ${SUITE_RUN_LIMITS.outputLines} lines`;
    }
    this.#lines.push({ stream, line });
  }

  update(update: SuiteUpdate) {
    if (update.kind === "total") this.#total = update.total;
    else if (update.kind === "problem") {
      this.#problems.push(update.message);
      this.#newProblems = true;
    } else if (this.#resultCount + this.#results.length < SUITE_RUN_LIMITS.results) this.#results.push(update.test);
  }

  /** Writes what has gathered; nothing when nothing did. */
  flush(final: Partial<typeof suiteRuns.$inferInsert> = {}) {
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
      if (lines.length > 0)
        tx.insert(suiteOutput)
          .values(lines.map((l) => ({ runId, ...l })))
          .run();
      if (results.length > 0) {
        tx.insert(suiteResults)
          .values(results.map((r) => ({ runId, ...r, file: r.file ?? null, message: r.message ?? null })))
          .run();
      }
      const count = (status: string) => results.filter((r) => r.status === status).length;
      const row = tx
        .update(suiteRuns)
        .set({
          passed: sql`${suiteRuns.passed} + ${count("passed")}`,
          failed: sql`${suiteRuns.failed} + ${count("failed")}`,
          skipped: sql`${suiteRuns.skipped} + ${count("skipped")}`,
          outputLines: sql`${suiteRuns.outputLines} + ${lines.length}`,
          ...(total !== null ? { total } : {}),
          ...(problems ? { problems } : {}),
          ...final,
        })
        .where(eq(suiteRuns.id, runId))
        .returning()
        .get();
      if (row) event = suiteRunChange(deps.state, tx, row, "updated", now);
    });
    this.#outputLines += lines.length;
    this.#resultCount += results.length;
    publishChanges(deps, [event]);
  }

  /** The last write, with how the run ended. */
  close(final: Partial<typeof suiteRuns.$inferInsert>) {
    clearInterval(this.#timer);
    this.flush(final);
  }
}
