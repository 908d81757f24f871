import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SUITE_RUN_LIMITS } from "@tower/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorld, type TestCaller, type World } from "../test-fixtures";
import { stopAllSuites } from "./suite-service";
import { loadSuitesFile } from "./suites-file";
import { endedRun, isRunning } from "./suite-test-helpers";

let dir: string;
let world: World;
let owner: TestCaller;
let projectId: string;

const LONG = "x".repeat(200);
const RESULTS = 6_000;

/** Prints `lines` long lines as fast as it can, then reports `results` passing tests at once. */
const flood = (lines: number, results: number) => `
for (let i = 0; i < ${lines}; i++) console.log("${LONG}" + i);
console.log(JSON.stringify({ tower: "begin", total: ${results} }));
for (let i = 0; i < ${results}; i++) console.log(JSON.stringify({ tower: "test", name: "t" + i, status: "passed" }));
`;

/** Writes its pid, prints a line every 20 ms for about a second, then passes one test. */
const TICKING = `
require("node:fs").writeFileSync("pid", String(process.pid));
let i = 0;
const timer = setInterval(() => {
  console.log("tick " + i);
  if (++i < 50) return;
  clearInterval(timer);
  console.log(JSON.stringify({ tower: "test", name: "ticked", status: "passed" }));
}, 20);
`;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tower-suite-recorder-"));
  writeFileSync(path.join(dir, "flood.js"), flood(SUITE_RUN_LIMITS.outputLines, RESULTS));
  writeFileSync(path.join(dir, "overflow.js"), flood(SUITE_RUN_LIMITS.outputLines + 5_000, 1));
  writeFileSync(path.join(dir, "ticking.js"), TICKING);
  const file = path.join(dir, "tower-suites.yaml");
  const suite = (name: string) => [
    `  - name: ${name}`,
    `    command: [${JSON.stringify(process.execPath)}, ${name}.js]`,
    "    format: tower-jsonl",
  ];
  writeFileSync(file, ["suites:", ...suite("flood"), ...suite("overflow"), ...suite("ticking")].join("\n"));
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

const ended = (id: string) => endedRun(owner, projectId, id);

/** Every output line of a run, page by page. */
async function allOutput(id: string): Promise<string[]> {
  const lines: string[] = [];
  for (let afterId: number | null = 0; afterId !== null;) {
    const page = await owner.suite.output({ projectId, id, afterId, limit: 2_000 });
    lines.push(...page.items.map((l) => l.line));
    afterId = page.nextAfterId;
  }
  return lines;
}

describe("recording a suite run", () => {
  it("keeps every line and result of a command that prints thousands at once", async () => {
    const run = await ended((await owner.suite.start({ projectId, name: "flood" })).id);
    expect(run).toMatchObject({ status: "passed", passed: RESULTS, total: RESULTS, problems: [] });
    expect(run.outputLines).toBe(SUITE_RUN_LIMITS.outputLines);
    const lines = await allOutput(run.id);
    expect(lines).toHaveLength(SUITE_RUN_LIMITS.outputLines);
    expect(lines[0]).toBe(`${LONG}0`);
    expect(lines.at(-1)).toBe(`${LONG}${SUITE_RUN_LIMITS.outputLines - 1}`);
    const results = await owner.suite.results({ projectId, id: run.id, limit: 1_000 });
    expect(results.items[0]).toMatchObject({ name: "t0", status: "passed" });
  });

  it("keeps at most the limit of output lines and says later ones were dropped", async () => {
    const run = await ended((await owner.suite.start({ projectId, name: "overflow" })).id);
    expect(run).toMatchObject({ status: "passed", passed: 1 });
    const lines = await allOutput(run.id);
    expect(run.outputLines).toBe(lines.length);
    expect(lines.at(-2)).toBe(`${LONG}${SUITE_RUN_LIMITS.outputLines - 1}`);
    expect(lines.at(-1)).toMatch(/later output dropped: a run keeps at most 20000 lines/);
  });

  it("ends a run whose recording fails as an error, stops its command, and lets it start again", async () => {
    // A real failure of the database, as a full disk would give.
    world.sqlite.exec(
      "create trigger output_fails before insert on suite_output begin select raise(abort, 'disk is full'); end",
    );
    const run = await ended((await owner.suite.start({ projectId, name: "ticking" })).id);
    // Stopped by Tower (SIGTERM), not left to finish on its own.
    expect(run).toMatchObject({ status: "error", outputLines: 0, signal: "SIGTERM", exitCode: null });
    expect(run.problems.join("\n")).toMatch(/Recording this run failed: .*disk is full/);
    expect(isRunning(Number(readFileSync(path.join(dir, "pid"), "utf8"))), "the command").toBe(false);
    const ops = world.sqlite
      .prepare("select operation from audit_events where project_id = ? and operation like 'suite.%' order by id")
      .all(projectId);
    expect(ops).toEqual([{ operation: "suite.started" }, { operation: "suite.error" }]);

    world.sqlite.exec("drop trigger output_fails");
    const again = await ended((await owner.suite.start({ projectId, name: "ticking" })).id);
    expect(again).toMatchObject({ status: "passed", outputLines: 50 });
  });

  it("ends a run nothing watches any more at a cancel or a new start, never answering it already ended", async () => {
    const orphan = (id: string) =>
      world.sqlite
        .prepare(
          "insert into suite_runs (id, project_id, suite_name, suite_title, status, started_by, started_at) values (?, ?, 'ticking', 'Ticking', 'running', 'x', 0)",
        )
        .run(id, projectId);
    orphan("lost1");
    expect(await owner.suite.cancel({ projectId, id: "lost1" })).toMatchObject({ status: "error" });
    orphan("lost2");
    const run = await owner.suite.start({ projectId, name: "ticking" });
    expect(await owner.suite.runById({ projectId, id: "lost2" })).toMatchObject({
      status: "error",
      problems: [expect.stringMatching(/nothing in Tower was watching it/)],
    });
    expect((await ended(run.id)).status).toBe("passed");
  });
});
