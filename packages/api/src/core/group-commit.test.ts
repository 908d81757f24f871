import { describe, expect, it } from "vitest";
import { createTestDeps } from "../testing";
import { groupCommit } from "./group-commit";
import { COMMIT_BUDGET_MS } from "./group-commit-queue";

/** A job that keeps the event loop busy for `ms`, as a costly write does. */
const busyFor = (ms: number, value: number) => () => {
  const until = performance.now() + ms;
  while (performance.now() < until);
  return { value, events: [] };
};

describe("groupCommit", () => {
  it("commits a burst of costly jobs in several commits, each within its budget, all in order", async () => {
    let commits = 0;
    const { deps, close } = createTestDeps({ trace: (sql) => void (sql === "COMMIT" && commits++) });
    try {
      commits = 0;
      const jobs = Array.from({ length: 6 }, (_, i) => groupCommit(deps, busyFor(COMMIT_BUDGET_MS / 2 + 1, i)));
      expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4, 5]);
      // At most two jobs fit a budget: three commits or more, not one that holds the loop for all six.
      expect(commits).toBeGreaterThanOrEqual(3);
    } finally {
      close();
    }
  });

  it("commits cheap jobs that arrive together in one commit", async () => {
    let commits = 0;
    const { deps, close } = createTestDeps({ trace: (sql) => void (sql === "COMMIT" && commits++) });
    try {
      // Without a budget to run out of (a stall of this machine longer than it would split them).
      deps.state.groupCommit.budgetMs = Number.POSITIVE_INFINITY;
      commits = 0;
      const jobs = Array.from({ length: 50 }, (_, i) => groupCommit(deps, () => ({ value: i, events: [] })));
      expect(await Promise.all(jobs)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(commits).toBe(1);
    } finally {
      close();
    }
  });
});
