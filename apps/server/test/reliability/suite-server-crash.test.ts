// Suites at process level: the server is SIGKILLed while two silent suites run, then restarted on
// the same SQLite file. Their commands (which print nothing, so no closed pipe ends them) must not
// outlive the restart, and a suite started again must be the only copy running.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb } from "@tower/db";
import { createTowerClient } from "@tower/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, prepareDatabase, startServerProcess, type ServerProcess } from "./server-process";
import { killProcess, until } from "./work-process";

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-suite-server-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Whether `pid` runs: kill(pid, 0) succeeds and it is no zombie (this container's PID 1 does not reap orphans). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Running processes of group `pgid`, zombies aside. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === pgid && state !== "Z") members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

interface StoredSuiteRun {
  id: string;
  suite_name: string;
  status: string;
  problems: string;
  process_group: number | null;
}

function storedRuns(file: string): StoredSuiteRun[] {
  const handle = createDb(file);
  try {
    return handle.sqlite
      .prepare("select id, suite_name, status, problems, process_group from suite_runs order by id")
      .all() as StoredSuiteRun[];
  } finally {
    handle.close();
  }
}

describe("suites: the server is SIGKILLed while silent suites run", () => {
  it("stops their process groups at the restart, ends the runs saying so, and runs a suite once", async () => {
    const file = path.join(dir, "suites.sqlite");
    const suitesFile = path.join(dir, "tower-suites.yaml");
    writeFileSync(
      suitesFile,
      [
        "suites:",
        "  - name: silent",
        `    command: [${JSON.stringify(process.execPath)}, "-e", "setInterval(()=>{},1000)"]`,
        "    format: tower-jsonl",
        "    timeoutSeconds: 600",
        "  - name: silentsh",
        '    command: "sleep 611"',
        "    format: tower-jsonl",
        "    timeoutSeconds: 600",
      ].join("\n"),
    );
    const env = { TOWER_SUITES_PATH: suitesFile };
    const { projectId, apiKey } = await prepareDatabase(file, []);
    const port = await freePort();
    let server: ServerProcess = await startServerProcess(file, port, env);
    const groups: number[] = [];
    try {
      const client = createTowerClient({ url: server.url, apiKey });
      const silent = await client.api.suite.start.mutate({ projectId, name: "silent" });
      const silentsh = await client.api.suite.start.mutate({ projectId, name: "silentsh" });
      // Each run's process group is kept as soon as its command starts.
      const stored = await until(
        "both runs to store their process group",
        () => storedRuns(file),
        (runs) => runs.length === 2 && runs.every((run) => run.process_group !== null),
      );
      groups.push(...stored.map((run) => run.process_group!));
      for (const pgid of groups) expect(isRunning(pgid)).toBe(true);

      server.child.kill("SIGKILL");
      await server.exited;
      // The crash alone stops nothing: both groups outlive the server (re-parented).
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const pgid of groups) expect(groupMembers(pgid)).not.toEqual([]);

      server = await startServerProcess(file, port, env);
      await until(
        "the interrupted suites' process groups to be gone",
        () => groups.flatMap(groupMembers),
        (alive) => alive.length === 0,
        5_000,
      );
      const restarted = createTowerClient({ url: server.url, apiKey });
      for (const id of [silent.id, silentsh.id]) {
        expect(await restarted.api.suite.runById.query({ projectId, id })).toMatchObject({
          status: "error",
          problems: ["Tower stopped while this suite ran; its command was stopped; start it again"],
        });
      }

      // Started again, the suite is the only copy of its command running.
      const again = await restarted.api.suite.start.mutate({ projectId, name: "silent" });
      const rerun = await until(
        "the new run to store its process group",
        () => storedRuns(file).find((run) => run.id === again.id),
        (run) => run?.process_group != null,
      );
      groups.push(rerun!.process_group!);
      expect(isRunning(rerun!.process_group!)).toBe(true);
      expect(groups.slice(0, 2).flatMap(groupMembers)).toEqual([]);
    } finally {
      await killProcess(server.child, server.exited, "SIGTERM");
      // Whatever a failed run left behind must not outlive the test.
      for (const pgid of groups.filter((group) => groupMembers(group).length > 0)) {
        try {
          process.kill(-pgid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  }, 60_000);
});
