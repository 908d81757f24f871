import type { SuiteUpdate } from "@tower/shared";

/** What a parser is told when the command has exited. */
export type ParserEnd = {
  /** The text of the suite's `resultsFile`, for formats written to a file; absent: read stdout. */
  resultsFileText?: string;
};

/**
 * Reads one suite's results as the command runs. Live formats (node-tap, tower-jsonl) report each
 * test from `line`; document formats (JUnit XML, the JSON reporters) collect stdout and report
 * everything from `end`. Neither throws: unreadable results come back as a `problem` update.
 */
export interface ResultParser {
  /** One line of the command's stdout, without its line break. */
  line(text: string): SuiteUpdate[];
  /** Whether the last line given was the format's own message (kept out of the output shown), not output. */
  lastWasMessage?(): boolean;
  /** The command has exited; reports what is left. Call once. */
  end(input?: ParserEnd): SuiteUpdate[];
}

export type ParserOptions = {
  /** The suite's folder: absolute test file paths under it are reported relative to it. */
  cwd?: string;
};
