// Shared by the suites' tests (only test files import this module).
import { readFileSync } from "node:fs";
import type { SuiteRun } from "@tower/shared";

/**
 * Whether `pid` still runs: kill(pid, 0) succeeds, and it is not a zombie. This container's PID 1
 * does not reap orphans, so a killed grandchild stays a zombie that kill(pid, 0) still finds.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** The run once it is no longer `running`, polled every 50 ms (at most `tries` times). */
export async function endedRun(
  caller: { suite: { runById(input: { projectId: string; id: string }): Promise<SuiteRun> } },
  projectId: string,
  id: string,
  tries = 300,
): Promise<SuiteRun> {
  for (let i = 0; i < tries; i++) {
    const run = await caller.suite.runById({ projectId, id });
    if (run.status !== "running") return run;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the suite did not end");
}
