import type { SuiteCounts, SuiteOutcome, SuiteRunResult, SuiteUpdate } from "@tower/shared";

/** Problems kept per run; past this a run is broken in one way, said many times. */
const MAX_PROBLEMS = 20;

/** Counts a run's results as they are read, keeps its problems and passes every update on. */
export class RunTally {
  private readonly counts: SuiteCounts = { passed: 0, failed: 0, skipped: 0, total: 0 };
  private announced = 0;
  private readonly problems: string[] = [];

  constructor(private readonly onUpdate?: (update: SuiteUpdate) => void) {}

  apply(updates: readonly SuiteUpdate[]): void {
    for (const update of updates) {
      if (update.kind === "test") this.counts[update.test.status]++;
      else if (update.kind === "total") this.announced = update.total;
      else if (this.problems.length >= MAX_PROBLEMS) continue;
      else this.problems.push(update.message);
      this.onUpdate?.(update);
    }
  }

  problem(message: string): void {
    this.apply([{ kind: "problem", message }]);
  }

  private get seen(): number {
    return this.counts.passed + this.counts.failed + this.counts.skipped;
  }

  /**
   * How a run that ended by itself turned out: `passed` only when the command exited 0, no test
   * failed and results were read; a clean exit with no results is an `error` (a misconfigured
   * reporter must not look like a green suite).
   */
  outcome(code: number | null, signal: string | null, resultsMissing: boolean): SuiteOutcome {
    if (code !== 0 || signal !== null || this.counts.failed > 0) return "failed";
    if (resultsMissing) return "error";
    if (this.seen === 0) {
      this.problem("The command exited 0 but no test results were read: check the suite's format and its reporter");
      return "error";
    }
    return "passed";
  }

  result(outcome: SuiteOutcome, exitCode: number | null, signal: string | null, durationMs: number): SuiteRunResult {
    return {
      outcome,
      exitCode,
      signal,
      durationMs: Math.round(durationMs),
      counts: { ...this.counts, total: Math.max(this.announced, this.seen) },
      problems: [...this.problems],
    };
  }
}
