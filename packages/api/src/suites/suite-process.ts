import { spawn, type ChildProcess } from "node:child_process";
import { stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { SUITE_FILE_FORMATS, type SuiteOutcome, type SuiteRunResult, type SuiteUpdate } from "@tower/shared";
import { LineSplitter } from "./line-splitter";
import { isGroupAlive, terminateGroup } from "./process-group";
import { createResultParser } from "./results/create-parser";
import { MAX_DOCUMENT_CHARS } from "./results/stdout-document";
import { clip } from "./results/text";
import { readResultsFile, resultsFilePath, resultsFileStamp } from "./results-file";
import { RunTally } from "./run-tally";
import type { LoadedSuite } from "./suites-file";

export type SuiteStream = "stdout" | "stderr";

/** What the runner needs of a suite (a `LoadedSuite`: its cwd is absolute). */
export type RunnableSuite = Pick<LoadedSuite, "command" | "cwd" | "format" | "timeoutSeconds" | "resultsFile" | "env">;

export type RunSuiteOptions = {
  /** The environment the command inherits (the server passes its own); the suite's `env` is added on top. */
  env: Readonly<Record<string, string | undefined>>;
  /** Aborting cancels the run: the command's process group is stopped. */
  signal?: AbortSignal;
  /** Each line of output, cut to `maxOutputLineChars`. */
  onOutput?: (line: string, stream: SuiteStream) => void;
  /** Each parsed update (total, test, problem) as it is read. */
  onUpdate?: (update: SuiteUpdate) => void;
  /** Between SIGTERM and SIGKILL when stopping the process group (default 5 s). */
  killGraceMs?: number;
  /** Output lines longer than this are cut (default 4,096 characters); the parser still reads them whole. */
  maxOutputLineChars?: number;
  /** Once the command has started, with its process group id (its pid): kept so a crash can be cleaned up. */
  onSpawn?: (processGroup: number) => void;
};

/** How long to wait for the output pipes to close once the process group is gone. */
const PIPE_CLOSE_MS = 1_000;

/** Program and arguments: a string runs through `/bin/sh -c`; a list runs directly, never through a shell. */
const argv = (command: string | string[]): [string, string[]] =>
  typeof command === "string" ? ["/bin/sh", ["-c", command]] : [command[0]!, command.slice(1)];

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Resolves once the child has started, or with the error that kept it from starting. */
function started(child: ChildProcess): Promise<Error | null> {
  return new Promise((resolve) => {
    child.once("spawn", () => resolve(null));
    child.once("error", (error) => resolve(error));
  });
}

/**
 * Runs one suite's command to its end and reads its results as they come. The command leads its
 * own process group, so a cancel (`signal`) or the suite's timeout stops everything it started
 * (SIGTERM, then SIGKILL after `killGraceMs`); processes it leaves behind after exiting are stopped
 * the same way. Resolves only when the group is gone; never rejects for the command's failures.
 */
export async function runSuiteProcess(suite: RunnableSuite, options: RunSuiteOptions): Promise<SuiteRunResult> {
  const startedAt = performance.now();
  // A callback that throws inside a stream handler would take the server down; the run reports it.
  const callbackFailures = new Set<string>();
  const guarded =
    <A extends unknown[]>(name: string, callback: (...args: A) => void) =>
    (...args: A) => {
      try {
        callback(...args);
      } catch (error) {
        callbackFailures.add(`${name} threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
  const tally = new RunTally(options.onUpdate ? guarded("onUpdate", options.onUpdate) : undefined);
  const finish = (
    outcome: SuiteOutcome,
    exit: { code: number | null; signal: string | null } = { code: null, signal: null },
  ) => tally.result(outcome, exit.code, exit.signal, performance.now() - startedAt);

  if (options.signal?.aborted) return finish("cancelled");
  if (!(await isFolder(suite.cwd))) {
    tally.problem(`The suite's folder ${suite.cwd} does not exist`);
    return finish("error");
  }
  const resultsFile = suite.resultsFile && SUITE_FILE_FORMATS.includes(suite.format) ? suite.resultsFile : undefined;
  const resultsBefore = resultsFile ? await resultsFileStamp(resultsFilePath(suite.cwd, resultsFile)) : null;

  const parser = createResultParser(suite.format, { cwd: suite.cwd });
  const maxOutput = options.maxOutputLineChars ?? 4_096;
  const onOutput = options.onOutput ? guarded("onOutput", options.onOutput) : undefined;
  const output = (line: string, cut: boolean, stream: SuiteStream) =>
    onOutput?.(cut || line.length > maxOutput ? clip(line, maxOutput) : line, stream);
  const stdout = new LineSplitter({
    maxLineChars: MAX_DOCUMENT_CHARS,
    onLine: (line, cut) => {
      tally.apply(parser.line(line));
      // The reporter's messages are results, shown as such; the output is the runner's own lines.
      if (!parser.lastWasMessage?.()) output(line, cut, "stdout");
    },
  });
  const stderr = new LineSplitter({ maxLineChars: maxOutput, onLine: (line, cut) => output(line, cut, "stderr") });

  const [program, args] = argv(suite.command);
  // ProcessEnv's shape varies with the app that type-checks this file (Next's requires NODE_ENV).
  const env = { ...options.env, ...suite.env } as NodeJS.ProcessEnv;
  const child = spawn(program, args, { cwd: suite.cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const startError = await started(child);
  if (startError || child.pid === undefined) {
    tally.problem(`The command could not be started: ${startError?.message ?? "no process id"}`);
    return finish("error");
  }
  const pid = child.pid;
  if (options.onSpawn) guarded("onSpawn", options.onSpawn)(pid);
  // Plain listeners rather than events.once, which rejects on an "error" event: an error after the
  // start (a failed kill, a broken pipe) is reported, and the run still waits for the exit.
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("exit", (code, signal) => resolve([code, signal])),
  );
  child.on("error", (error) => tally.problem(`The command's process reported: ${error.message}`));
  const closed = (stream: NodeJS.EventEmitter) => new Promise((resolve) => stream.once("close", resolve));
  const pipesClosed = Promise.all([closed(child.stdout!), closed(child.stderr!)]);
  child.stdout!.on("error", () => {}); // a destroyed pipe is expected at the end
  child.stderr!.on("error", () => {});
  child.stdout!.on("data", (chunk: Buffer) => stdout.write(chunk));
  child.stderr!.on("data", (chunk: Buffer) => stderr.write(chunk));

  let stop: "cancelled" | "timed_out" | null = null;
  let stopping: Promise<{ killed: boolean }> | null = null;
  const grace = options.killGraceMs ?? 5_000;
  const terminate = (reason: "cancelled" | "timed_out") => {
    if (stop) return;
    stop = reason;
    stopping = terminateGroup(pid, grace);
  };
  const timer = setTimeout(() => terminate("timed_out"), suite.timeoutSeconds * 1000);
  const onAbort = () => terminate("cancelled");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // A cancel that came while the command was starting fired before anyone listened.
  if (options.signal?.aborted) terminate("cancelled");

  const [code, signal] = await exited;
  clearTimeout(timer);
  options.signal?.removeEventListener("abort", onAbort);
  if (stopping === null && isGroupAlive(pid)) {
    tally.problem("The command left processes running when it exited; they were stopped");
    stopping = terminateGroup(pid, grace);
  }
  const { killed } = (await stopping) ?? { killed: false };
  if (killed) tally.problem(`Processes that ignored SIGTERM for ${grace / 1000} s were killed with SIGKILL`);
  // Output a process outside the group still holds open is not waited for.
  await Promise.race([pipesClosed, sleep(PIPE_CLOSE_MS)]);
  child.stdout!.destroy();
  child.stderr!.destroy();
  stdout.end();
  stderr.end();

  const exit = { code, signal };
  for (const failure of [...callbackFailures]) tally.problem(failure);
  if (stop === "timed_out") tally.problem(`Timed out after ${suite.timeoutSeconds} s`);
  const read = resultsFile ? await readResultsFile(suite.cwd, resultsFile, resultsBefore) : null;
  if (read && "problem" in read) {
    if (!stop) tally.problem(read.problem);
  } else {
    tally.apply(parser.end(read ? { resultsFileText: read.text } : {}));
  }
  if (stop) return finish(stop, exit);
  if (signal) tally.problem(`The command was ended by ${signal}`);
  return finish(tally.outcome(code, signal, read !== null && "problem" in read), exit);
}
