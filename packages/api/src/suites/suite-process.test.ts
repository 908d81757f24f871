import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SuiteUpdate } from "@tower/shared";
import { runSuiteProcess, type RunnableSuite, type RunSuiteOptions, type SuiteStream } from "./suite-process";
import { isRunning } from "./suite-test-helpers";

const dir = mkdtempSync(join(tmpdir(), "tower-suite-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const node = process.execPath;
const fixture = (name: string) => readFileSync(new URL(`./results/fixtures/${name}`, import.meta.url), "utf8");

/** A tower-jsonl test line for `sh` scripts. */
const towerTest = (name: string, status: string) =>
  `echo '{"tower":"test","name":"${name}","status":"${status}","durationMs":1}'`;

async function run(
  suite: Partial<RunnableSuite> & Pick<RunnableSuite, "command">,
  options: Partial<RunSuiteOptions> = {},
  output: [string, SuiteStream][] = [],
  updates: SuiteUpdate[] = [],
) {
  const result = await runSuiteProcess(
    { cwd: dir, format: "tower-jsonl", timeoutSeconds: 30, ...suite },
    {
      env: process.env,
      onOutput: (line, stream) => output.push([line, stream]),
      onUpdate: (update) => updates.push(update),
      ...options,
    },
  );
  return { result, output, updates };
}

/** The pids a script printed as `pids <sh> <background child>`. */
function pidsFrom(output: [string, SuiteStream][]): number[] {
  const line = output.find(([text]) => text.startsWith("pids "));
  expect(line, "the script printed its pids").toBeDefined();
  return line![0].split(" ").slice(1).map(Number);
}

describe("runSuiteProcess", () => {
  it("runs a passing command through /bin/sh and streams both outputs, less the reporter's messages", async () => {
    const { result, output, updates } = await run({
      command: `echo '{"tower":"begin","total":2}'; ${towerTest("a", "passed")}; echo note >&2; echo building; ${towerTest("b", "skipped")}`,
    });
    expect(result).toMatchObject({ outcome: "passed", exitCode: 0, signal: null, problems: [] });
    expect(result.counts).toEqual({ passed: 1, failed: 0, skipped: 1, total: 2 });
    expect(output).toContainEqual(["note", "stderr"]);
    // The three protocol lines are results, not output; the runner's own line is.
    expect(output.filter(([, stream]) => stream === "stdout")).toEqual([["building", "stdout"]]);
    expect(updates.map((u) => u.kind)).toEqual(["total", "test", "test"]);
  });

  it("fails on a failed test even when the command exits 0, and on a non-zero exit", async () => {
    const failedTest = await run({ command: `${towerTest("a", "failed")}; exit 0` });
    expect(failedTest.result).toMatchObject({ outcome: "failed", exitCode: 0, counts: { failed: 1, total: 1 } });
    const badExit = await run({ command: `${towerTest("a", "passed")}; exit 3` });
    expect(badExit.result).toMatchObject({ outcome: "failed", exitCode: 3, counts: { passed: 1 } });
  });

  it("calls a clean exit without any results an error", async () => {
    const { result } = await run({ command: "echo all good" });
    expect(result.outcome).toBe("error");
    expect(result.problems).toEqual([
      "The command exited 0 but no test results were read: check the suite's format and its reporter",
    ]);
  });

  it("delivers results live, before the command ends", async () => {
    const go = join(dir, "go");
    // The script waits for a file the test writes only once the first result has arrived.
    const script = `${towerTest("first", "passed")}; while [ ! -f '${go}' ]; do sleep 0.05; done; ${towerTest("second", "passed")}`;
    const updates: SuiteUpdate[] = [];
    const { result } = await run(
      { command: script, timeoutSeconds: 10 },
      {
        onUpdate: (update) => {
          if (update.kind === "test" && update.test.name === "first") writeFileSync(go, "");
          updates.push(update);
        },
      },
    );
    expect(result.outcome).toBe("passed");
    expect(updates.map((u) => (u.kind === "test" ? u.test.name : u.kind))).toEqual(["first", "second"]);
    expect(existsSync(go)).toBe(true);
  });

  it("stops a command at its timeout, with its whole process group", async () => {
    const started = performance.now();
    const { result, output } = await run({ command: "sleep 300 & echo pids $$ $!; wait", timeoutSeconds: 1 });
    expect(result).toMatchObject({ outcome: "timed_out", signal: "SIGTERM", exitCode: null });
    expect(result.problems).toContain("Timed out after 1 s");
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.durationMs).toBeGreaterThanOrEqual(990);
    for (const pid of pidsFrom(output)) expect(isRunning(pid), `process ${pid}`).toBe(false);
  });

  it("kills what ignores SIGTERM once the grace period is over", async () => {
    const { result, output } = await run(
      { command: "trap '' TERM; sleep 300 & echo pids $$ $!; wait; wait", timeoutSeconds: 0.5 },
      { killGraceMs: 300 },
    );
    expect(result).toMatchObject({ outcome: "timed_out", signal: "SIGKILL" });
    expect(result.problems).toContain("Processes that ignored SIGTERM for 0.3 s were killed with SIGKILL");
    for (const pid of pidsFrom(output)) expect(isRunning(pid), `process ${pid}`).toBe(false);
  });

  it("cancels through the AbortSignal, stopping the whole group", async () => {
    const controller = new AbortController();
    const output: [string, SuiteStream][] = [];
    const { result } = await run(
      { command: "sleep 300 & echo pids $$ $!; wait" },
      {
        signal: controller.signal,
        onOutput: (line, stream) => {
          output.push([line, stream]);
          if (line.startsWith("pids ")) controller.abort();
        },
      },
    );
    expect(result).toMatchObject({ outcome: "cancelled", signal: "SIGTERM" });
    for (const pid of pidsFrom(output)) expect(isRunning(pid), `process ${pid}`).toBe(false);
  });

  it("cancels a run aborted while its command was starting", async () => {
    const controller = new AbortController();
    const running = run({ command: "sleep 300" }, { signal: controller.signal });
    controller.abort(); // before the child has spawned: the listener is not attached yet
    const { result } = await running;
    expect(result.outcome).toBe("cancelled");
  });

  it("does not start a run whose signal is already aborted", async () => {
    const { result, output } = await run({ command: "echo never" }, { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ outcome: "cancelled", exitCode: null, counts: { total: 0 } });
    expect(output).toEqual([]);
  });

  it("stops processes the command leaves behind", async () => {
    const { result, output } = await run({ command: `sleep 300 & echo pids $$ $!; ${towerTest("a", "passed")}` });
    expect(result.outcome).toBe("passed");
    expect(result.problems).toEqual(["The command left processes running when it exited; they were stopped"]);
    for (const pid of pidsFrom(output)) expect(isRunning(pid), `process ${pid}`).toBe(false);
  });

  it("runs an argument list without a shell", async () => {
    const print = `console.log(JSON.stringify({ tower: "test", name: process.argv[1], status: "passed" }))`;
    const { result, updates } = await run({ command: [node, "-e", print, "$HOME; echo `id`"] });
    expect(result.outcome).toBe("passed");
    expect(updates).toEqual([{ kind: "test", test: { name: "$HOME; echo `id`", status: "passed", durationMs: 0 } }]);
  });

  it("reports a callback that throws instead of crashing", async () => {
    const { result } = await run(
      { command: `echo starting; ${towerTest("a", "passed")}` },
      {
        onOutput: () => {
          throw new Error("dashboard gone");
        },
      },
    );
    expect(result).toMatchObject({ outcome: "passed", problems: ["onOutput threw: dashboard gone"] });
  });

  it("passes the base environment with the suite's env on top", async () => {
    const { updates: withSuiteEnv } = await run(
      {
        command: `echo "{\\"tower\\":\\"test\\",\\"name\\":\\"$FROM_BASE-$FROM_SUITE\\",\\"status\\":\\"passed\\"}"`,
        env: { FROM_SUITE: "suite" },
      },
      { env: { ...process.env, FROM_BASE: "base", FROM_SUITE: "overridden" } },
    );
    expect(withSuiteEnv).toEqual([{ kind: "test", test: { name: "base-suite", status: "passed", durationMs: 0 } }]);
  });

  it("reports a program or folder that does not exist as an error", async () => {
    const missing = await run({ command: ["/no/such/program"] });
    expect(missing.result.outcome).toBe("error");
    expect(missing.result.problems).toEqual(["The command could not be started: spawn /no/such/program ENOENT"]);
    const noFolder = await run({ command: "true", cwd: join(dir, "nowhere") });
    expect(noFolder.result).toMatchObject({
      outcome: "error",
      problems: [`The suite's folder ${join(dir, "nowhere")} does not exist`],
    });
  });

  it("cuts long output lines for onOutput but parses them whole", async () => {
    const long = "x".repeat(10_000);
    const print = `console.log("${long}"); console.log(JSON.stringify({ tower: "test", name: "long", status: "failed", message: "${long}" }))`;
    const { result, output, updates } = await run({ command: [node, "-e", print] });
    expect(result.counts.failed).toBe(1);
    expect(output[0]![0]).toHaveLength(4_096);
    expect(output[0]![0].endsWith(" … [cut]")).toBe(true);
    expect(output).toHaveLength(1); // the protocol line is a result, not output
    const test = updates.find((u) => u.kind === "test");
    expect(test?.kind === "test" && test.test.message?.length).toBe(4_000);
  });
});

describe("runSuiteProcess with a results file", () => {
  const junit = (command: string, resultsFile = "report.xml") =>
    run({ command, format: "junit", resultsFile, cwd: dir });

  it("reads the file the command wrote", async () => {
    writeFileSync(join(dir, "source.xml"), fixture("vitest-junit.xml"));
    const { result, updates } = await junit("cp source.xml report.xml; exit 1");
    expect(result).toMatchObject({ outcome: "failed", exitCode: 1, problems: [] });
    expect(result.counts).toEqual({ passed: 2, failed: 2, skipped: 2, total: 6 });
    expect(updates[0]).toEqual({ kind: "total", total: 6 });
  });

  it("says so when the file was not written, without throwing", async () => {
    const failed = await junit("exit 1", "never.xml");
    expect(failed.result).toMatchObject({
      outcome: "failed",
      problems: [`The results file ${join(dir, "never.xml")} was not written`],
    });
    const clean = await junit("exit 0", "never.xml");
    expect(clean.result.outcome).toBe("error");
  });

  it("does not take a file left from an earlier run for this run's results", async () => {
    writeFileSync(join(dir, "stale.xml"), fixture("vitest-junit.xml"));
    const { result } = await junit("exit 0", "stale.xml");
    expect(result.outcome).toBe("error");
    expect(result.problems).toEqual([
      `The results file ${join(dir, "stale.xml")} was not rewritten by this run (it is from an earlier one)`,
    ]);
    expect(result.counts.total).toBe(0);
  });
});
