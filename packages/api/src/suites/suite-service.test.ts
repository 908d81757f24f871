import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LIMITS } from "@tower/shared";
import { createWorld, expectTRPCError, type TestCaller, type World } from "../test-fixtures";
import { endInterruptedSuiteRuns, stopAllSuites } from "./suite-service";
import { loadSuitesFile } from "./suites-file";
import { endedRun, isRunning } from "./suite-test-helpers";

let dir: string;
let world: World;
let owner: TestCaller;
let projectId: string;

/** A script that reports three tests over Tower's live line protocol, one every 50 ms. */
const REPORTING = `
const line = (o) => console.log(JSON.stringify(o));
line({ tower: "begin", total: 3 });
const tests = [["adds", "passed"], ["divides", "failed", "expected 2, got NaN"], ["later", "skipped"]];
let i = 0;
const timer = setInterval(() => {
  const [name, status, message] = tests[i++];
  console.log("running " + name);
  line({ tower: "test", name, file: "math.test.js", status, durationMs: 5, message });
  if (i === tests.length) { clearInterval(timer); process.exitCode = 1; }
}, 50);
`;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tower-suites-"));
  writeFileSync(path.join(dir, "reporting.js"), REPORTING);
  writeFileSync(path.join(dir, "hang.js"), "console.log('started'); setInterval(() => {}, 1000);");
  const file = path.join(dir, "tower-suites.yaml");
  writeFileSync(
    file,
    [
      "suites:",
      "  - name: math",
      "    title: Math checks",
      `    command: [${JSON.stringify(process.execPath)}, reporting.js]`,
      "    format: tower-jsonl",
      "  - name: hangs",
      `    command: [${JSON.stringify(process.execPath)}, hang.js]`,
      "    format: tower-jsonl",
      "    timeoutSeconds: 1",
    ].join("\n"),
  );
  const suites = (await loadSuitesFile(file))!;
  world = await createWorld({ suites: { suites, env: { PATH: process.env.PATH }, file } });
  owner = world.users.owner.caller;
  projectId = world.projectId;
});
afterEach(async () => {
  await stopAllSuites(world.deps);
  world.close();
  rmSync(dir, { recursive: true, force: true });
});

const ended = (id: string) => endedRun(owner, projectId, id, 200);

describe("test suites", () => {
  it("lists the configured suites with their commands, never their environment", async () => {
    const { suites, file } = await world.users.viewer.caller.suite.list({ projectId });
    expect(file).toBe("tower-suites.yaml"); // its name, not where the server keeps it
    expect(suites.map((s) => [s.name, s.title, s.format])).toEqual([
      ["math", "Math checks", "tower-jsonl"],
      ["hangs", "hangs", "tower-jsonl"],
    ]);
    expect(JSON.stringify(suites)).not.toContain("PATH");
  });

  it("runs a suite: results and output stream in, counts and the outcome are kept, audited", async () => {
    const started = await world.users.operator.caller.suite.start({ projectId, name: "math" });
    expect(started).toMatchObject({ status: "running", suiteName: "math", startedBy: "Oscar Operator" });
    await expectTRPCError(owner.suite.start({ projectId, name: "math" }), "CONFLICT", /already running/);
    const run = await ended(started.id);
    expect(run).toMatchObject({ status: "failed", passed: 1, failed: 1, skipped: 1, total: 3, exitCode: 1 });
    const failures = await owner.suite.results({ projectId, id: run.id, status: "failed" });
    expect(failures.items).toEqual([
      expect.objectContaining({ name: "divides", file: "math.test.js", message: "expected 2, got NaN" }),
    ]);
    const output = await owner.suite.output({ projectId, id: run.id });
    expect(output.items.map((l) => l.line)).toEqual(expect.arrayContaining(["running adds", "running later"]));
    const ops = world.sqlite
      .prepare("select operation from audit_events where project_id = ? and operation like 'suite.%' order by id")
      .all(projectId);
    expect(ops).toEqual([{ operation: "suite.started" }, { operation: "suite.failed" }]);
    expect((await owner.suite.runs({ projectId, suite: "math" })).items.map((r) => r.id)).toEqual([run.id]);
  });

  it("kills a suite at its timeout, and stops one when cancelled", async () => {
    const timedOut = await ended((await owner.suite.start({ projectId, name: "hangs" })).id);
    expect(timedOut.status).toBe("timed_out");
    const again = await owner.suite.start({ projectId, name: "hangs" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await owner.suite.cancel({ projectId, id: again.id });
    // A second cancel while the first stops the command is told so, and audited once.
    const second = owner.suite.cancel({ projectId, id: again.id });
    await expectTRPCError(second, "CONFLICT", /already being cancelled|already ended/);
    expect((await ended(again.id)).status).toBe("cancelled");
    const cancels = world.sqlite
      .prepare("select count(*) as n from audit_events where project_id = ? and operation = 'suite.cancel'")
      .get(projectId);
    expect(cancels).toEqual({ n: 1 });
    await expectTRPCError(owner.suite.cancel({ projectId, id: again.id }), "CONFLICT", /already ended/);
  });

  it("runs at most a few suites at once on the whole server, whatever projects start them", async () => {
    const projects = [projectId];
    while (projects.length <= LIMITS.serverRunningSuites)
      projects.push((await owner.project.create({ name: `p${projects.length}` })).projectId);
    for (const id of projects.slice(0, LIMITS.serverRunningSuites))
      await owner.suite.start({ projectId: id, name: "hangs" });
    await expectTRPCError(
      owner.suite.start({ projectId: projects.at(-1)!, name: "hangs" }),
      "TOO_MANY_REQUESTS",
      /^4 test suites are running on this server, the most at once; start "hangs" once one ends$/,
    );
  });

  it("is started by operators only, never a suite that is not configured", async () => {
    await expectTRPCError(world.users.viewer.caller.suite.start({ projectId, name: "math" }), "FORBIDDEN");
    await expectTRPCError(
      owner.suite.start({ projectId, name: "rm-rf" }),
      "NOT_FOUND",
      /^name: No suite named "rm-rf" is configured/,
    );
    // A name that is not a string is told so, not that it is missing.
    const notAString = { projectId, name: ["math"] } as unknown as { projectId: string; name: string };
    await expectTRPCError(owner.suite.start(notAString), "BAD_REQUEST", /Name must be a string/);
    await expectTRPCError(owner.suite.start({ projectId } as never), "BAD_REQUEST", /Name is required/);
    const foreign = world.users.foreignOwner.caller;
    const run = await owner.suite.start({ projectId, name: "math" });
    await expectTRPCError(foreign.suite.runById({ projectId: world.foreignProjectId, id: run.id }), "NOT_FOUND");
    await ended(run.id);
  });

  it("ends as errors the runs a stopped server left running", async () => {
    world.sqlite
      .prepare(
        "insert into suite_runs (id, project_id, suite_name, suite_title, status, started_by, started_at) values ('left', ?, 'math', 'Math', 'running', 'x', 0)",
      )
      .run(projectId);
    expect(endInterruptedSuiteRuns(world.deps).ended).toBe(1);
    expect(await owner.suite.runById({ projectId, id: "left" })).toMatchObject({
      status: "error",
      problems: ["Tower stopped while this suite ran; start it again"],
    });
  });

  it("keeps a run's process group as soon as its command starts", async () => {
    const run = await owner.suite.start({ projectId, name: "hangs" });
    const stored = await until(
      () => processOf(run.id),
      (row) => row.process_group !== null,
    );
    expect(isRunning(stored.process_group!)).toBe(true);
    expect(stored.process_start_time).toBe(startTimeOf(stored.process_group!));
    // Only the server's bookkeeping: the run people see does not carry it.
    expect(await owner.suite.runById({ projectId, id: run.id })).not.toHaveProperty("processGroup");
    await owner.suite.cancel({ projectId, id: run.id });
    await ended(run.id);
  });

  it("ends a run as an error saying why when Tower stops under it, never as a person's cancel", async () => {
    const run = await owner.suite.start({ projectId, name: "hangs" });
    await until(
      () => processOf(run.id),
      (row) => row.process_group !== null,
    );
    await stopAllSuites(world.deps);
    const stopped = await owner.suite.runById({ projectId, id: run.id });
    expect(stopped.status).toBe("error");
    expect(stopped.problems).toContain("Tower stopped while this suite ran; its command was stopped; start it again");
  });

  it("stops the process group of a run a crashed server left, only when it is still that run's", async () => {
    const silent = () => {
      const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { detached: true, stdio: "ignore" });
      child.unref();
      return child.pid!;
    };
    const ours = silent();
    const stranger = silent();
    try {
      const insert = world.sqlite.prepare(
        "insert into suite_runs (id, project_id, suite_name, suite_title, status, started_by, started_at, process_group, process_start_time) values (?, ?, 'hangs', 'hangs', 'running', 'x', 0, ?, ?)",
      );
      insert.run("ours", projectId, ours, startTimeOf(ours));
      // The same id, another start time: a group that reused the id is someone else's.
      insert.run("reused", projectId, stranger, startTimeOf(stranger) - 1);
      expect(endInterruptedSuiteRuns(world.deps).ended).toBe(2);
      await until(
        () => isRunning(ours),
        (running) => !running,
      );
      expect(isRunning(stranger)).toBe(true);
      expect(await owner.suite.runById({ projectId, id: "ours" })).toMatchObject({
        status: "error",
        problems: ["Tower stopped while this suite ran; its command was stopped; start it again"],
      });
      expect(await owner.suite.runById({ projectId, id: "reused" })).toMatchObject({
        status: "error",
        problems: ["Tower stopped while this suite ran; start it again"],
      });
    } finally {
      for (const pid of [ours, stranger]) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  });
});

/** /proc/<pid>/stat field 22: when the process started, in clock ticks since boot. */
function startTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

function processOf(id: string) {
  return world.sqlite.prepare("select process_group, process_start_time from suite_runs where id = ?").get(id) as {
    process_group: number | null;
    process_start_time: number | null;
  };
}

/** Reads `read()` every 25 ms until `done` holds (at most 5 s). */
async function until<T>(read: () => T, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("timed out");
}
