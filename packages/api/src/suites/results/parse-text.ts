import type { SuiteUpdate, TestResult } from "@tower/shared";
import type { ParserEnd, ResultParser } from "./types";

/** Runs a parser over a whole stdout text at once (a saved log, a test fixture). */
export function parseText(parser: ResultParser, stdout: string, end?: ParserEnd): SuiteUpdate[] {
  const lines = stdout.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return [...lines.flatMap((line) => parser.line(line)), ...parser.end(end)];
}

/** The tests among `updates`. */
export const testsOf = (updates: readonly SuiteUpdate[]): TestResult[] =>
  updates.flatMap((update) => (update.kind === "test" ? [update.test] : []));
