import { z } from "zod";
import type { SuiteUpdate, TestStatus } from "@tower/shared";
import { readJsonReport } from "./json-document";
import { StdoutDocument } from "./stdout-document";
import { fullName, relativeFile, testUpdate } from "./text";
import type { ParserOptions, ResultParser } from "./types";

// The parts of Playwright's `--reporter=json` report (JSONReport) Tower reads.
const ErrorSchema = z.object({ message: z.string().optional() });
const AttemptSchema = z.object({
  status: z.string().optional(),
  duration: z.number().default(0),
  retry: z.number().default(0),
  errors: z.array(ErrorSchema).default([]),
  error: ErrorSchema.optional(),
});
const TestSchema = z.object({
  projectName: z.string().default(""),
  expectedStatus: z.string().optional(),
  status: z.enum(["expected", "unexpected", "skipped", "flaky"]),
  results: z.array(AttemptSchema).default([]),
});
const SpecSchema = z.object({ title: z.string(), file: z.string().optional(), tests: z.array(TestSchema) });
type Suite = {
  title: string;
  file?: string | undefined;
  specs: z.infer<typeof SpecSchema>[];
  suites?: Suite[] | undefined;
};
const SuiteSchema: z.ZodType<Suite> = z.lazy(() =>
  z.object({
    title: z.string(),
    file: z.string().optional(),
    specs: z.array(SpecSchema).default([]),
    suites: z.array(SuiteSchema).optional(),
  }),
);
const ReportSchema = z.object({ suites: z.array(SuiteSchema), errors: z.array(ErrorSchema).default([]) });
type Test = z.infer<typeof TestSchema>;

function status(test: Test): TestStatus {
  if (test.status === "unexpected") return "failed";
  if (test.status === "skipped" || test.results.every((attempt) => attempt.status === "skipped")) return "skipped";
  return "passed"; // expected, or flaky: it passed on a retry (the message says so)
}

const attemptErrors = (attempt: z.infer<typeof AttemptSchema>) =>
  (attempt.errors.length > 0 ? attempt.errors : attempt.error ? [attempt.error] : [])
    .map((error) => error.message ?? "")
    .filter(Boolean)
    .join("\n\n");

function message(test: Test): string | undefined {
  const failed = test.results.filter((attempt) => attemptErrors(attempt) !== "");
  const last = failed.at(-1);
  if (!last) return undefined;
  if (test.status !== "flaky") return attemptErrors(last);
  const passedOn = test.results.findLast((attempt) => attempt.status === "passed")?.retry ?? test.results.length - 1;
  return `Flaky: passed on retry ${passedOn} after failing with:\n${attemptErrors(failed[0]!)}`;
}

function* specs(suite: Suite, titles: string[], cwd: string | undefined): Generator<SuiteUpdate> {
  for (const spec of suite.specs) {
    for (const test of spec.tests) {
      const name = fullName([...titles, spec.title]);
      yield testUpdate({
        name: test.projectName ? `[${test.projectName}] ${name}` : name,
        file: relativeFile(spec.file ?? suite.file, cwd),
        status: status(test),
        durationMs: test.results.reduce((sum, attempt) => sum + attempt.duration, 0),
        message: message(test),
      });
    }
  }
  for (const nested of suite.suites ?? []) yield* specs(nested, [...titles, nested.title], cwd);
}

/** Reads a parsed Playwright JSON report: the total, then each test (once per project). */
export function readPlaywrightReport(report: unknown, cwd?: string): SuiteUpdate[] {
  const parsed = ReportSchema.safeParse(report);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return [
      {
        kind: "problem",
        message: `Not a Playwright JSON report: ${issue.path.join(".") || "report"}: ${issue.message}`,
      },
    ];
  }
  // The top-level suites are files: their title is the path, which is reported as `file` instead.
  const tests = parsed.data.suites.flatMap((file) => [...specs(file, [], cwd)]);
  const problems: SuiteUpdate[] = parsed.data.errors.map((error) => ({
    kind: "problem",
    message: `Playwright: ${error.message ?? "an error outside any test"}`,
  }));
  return [{ kind: "total", total: tests.length }, ...tests, ...problems];
}

/** Playwright's `--reporter=json`, from `resultsFile` (PLAYWRIGHT_JSON_OUTPUT_FILE) or stdout. */
export function playwrightJsonParser(options: ParserOptions = {}): ResultParser {
  const stdout = new StdoutDocument();
  return {
    line(line) {
      stdout.add(line);
      return [];
    },
    end(input = {}) {
      const read = readJsonReport("Playwright JSON", stdout, input.resultsFileText);
      return "problem" in read
        ? [{ kind: "problem", message: read.problem }]
        : readPlaywrightReport(read.report, options.cwd);
    },
  };
}
