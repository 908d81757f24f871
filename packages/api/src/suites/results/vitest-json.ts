import { z } from "zod";
import type { SuiteUpdate, TestStatus } from "@tower/shared";
import { readJsonReport } from "./json-document";
import { StdoutDocument } from "./stdout-document";
import { fullName, relativeFile, testUpdate } from "./text";
import type { ParserOptions, ResultParser } from "./types";

// The parts of Vitest's `--reporter=json` (Jest-compatible) report Tower reads; the rest is ignored.
const AssertionSchema = z.object({
  ancestorTitles: z.array(z.string()).default([]),
  title: z.string().default(""),
  fullName: z.string().optional(),
  status: z.string(),
  duration: z.number().nullish(),
  failureMessages: z.array(z.string()).nullish(),
});
const FileResultSchema = z.object({
  name: z.string(),
  status: z.string().optional(),
  message: z.string().nullish(),
  assertionResults: z.array(AssertionSchema).default([]),
});
const ReportSchema = z.object({ testResults: z.array(FileResultSchema) });

/** Jest's statuses: passed, failed, and several ways of not running (skipped, pending, todo, disabled). */
const status = (value: string): TestStatus =>
  value === "passed" ? "passed" : value === "failed" ? "failed" : "skipped";

/** Reads a parsed Vitest JSON report: the total, then each test. */
export function readVitestReport(report: unknown, cwd?: string): SuiteUpdate[] {
  const parsed = ReportSchema.safeParse(report);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return [
      { kind: "problem", message: `Not a Vitest JSON report: ${issue.path.join(".") || "report"}: ${issue.message}` },
    ];
  }
  const tests: SuiteUpdate[] = [];
  for (const file of parsed.data.testResults) {
    const path = relativeFile(file.name, cwd);
    // A file that failed to load has no tests: it is reported as one failed test so it is not lost.
    if (file.assertionResults.length === 0 && file.status === "failed") {
      tests.push(testUpdate({ name: path ?? file.name, file: path, status: "failed", message: file.message ?? "" }));
    }
    for (const test of file.assertionResults) {
      tests.push(
        testUpdate({
          name: test.title ? fullName([...test.ancestorTitles, test.title]) : (test.fullName ?? ""),
          file: path,
          status: status(test.status),
          durationMs: test.duration ?? 0,
          message: test.failureMessages?.join("\n\n"),
        }),
      );
    }
  }
  return [{ kind: "total", total: tests.length }, ...tests];
}

/** Vitest's `--reporter=json`, from `resultsFile` (`--outputFile`) or stdout. */
export function vitestJsonParser(options: ParserOptions = {}): ResultParser {
  const stdout = new StdoutDocument();
  return {
    line(line) {
      stdout.add(line);
      return [];
    },
    end(input = {}) {
      const read = readJsonReport("Vitest JSON", stdout, input.resultsFileText);
      return "problem" in read
        ? [{ kind: "problem", message: read.problem }]
        : readVitestReport(read.report, options.cwd);
    },
  };
}
