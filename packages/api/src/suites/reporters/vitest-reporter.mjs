// Tower's live results for Vitest: prints the tower-jsonl protocol on stdout (one JSON object a
// line) as each test ends. Vitest imports a test file before it knows its tests, so the total
// grows as files are collected: a `total` line follows each file. Plain ES module with no imports:
//
//   npx vitest run --reporter=/path/to/vitest-reporter.mjs
//
// Written against the Vitest 3/4 reporter API (https://vitest.dev/advanced/api/reporters),
// checked with vitest 4.1.12.

function createOut() {
  let atLineStart = true;
  return {
    text(stream, text) {
      if (!text) return;
      if (stream === process.stdout) atLineStart = text.endsWith("\n");
      stream.write(text);
    },
    message(value) {
      process.stdout.write(`${atLineStart ? "" : "\n"}${JSON.stringify(value)}\n`);
      atLineStart = true;
    },
  };
}

/** Suite titles and the test's own name, outermost first. */
function titles(testCase) {
  const names = [testCase.name];
  for (let parent = testCase.parent; parent && parent.type === "suite"; parent = parent.parent)
    names.unshift(parent.name);
  return names;
}

const errorText = (errors) =>
  (errors ?? []).map((error) => [error.message ?? String(error), error.diff].filter(Boolean).join("\n\n")).join("\n\n");

export default class TowerVitestReporter {
  out = createOut();
  total = 0;

  onTestRunStart() {
    this.total = 0;
    this.out.message({ tower: "begin", total: 0 });
  }

  onTestModuleCollected(testModule) {
    this.total += [...testModule.children.allTests()].length;
    this.out.message({ tower: "total", total: this.total });
  }

  onTestCaseResult(testCase) {
    const result = testCase.result();
    const status = result.state === "passed" ? "passed" : result.state === "failed" ? "failed" : "skipped";
    const message = status === "failed" ? errorText(result.errors) : result.note;
    this.out.message({
      tower: "test",
      name: titles(testCase).join(" > "),
      file: testCase.module.moduleId,
      status,
      durationMs: testCase.diagnostic()?.duration ?? 0,
      ...(message ? { message } : {}),
    });
  }

  /** A file that failed to load has no tests: it is reported as one failed test so it is not lost. */
  onTestModuleEnd(testModule) {
    const errors = testModule.errors();
    if (errors.length === 0 || [...testModule.children.allTests()].length > 0) return;
    this.total += 1;
    this.out.message({ tower: "total", total: this.total });
    this.out.message({
      tower: "test",
      name: testModule.relativeModuleId ?? testModule.moduleId,
      file: testModule.moduleId,
      status: "failed",
      durationMs: 0,
      message: errorText(errors),
    });
  }

  // With this reporter alone nothing else prints what tests log, or errors outside tests.
  onUserConsoleLog(log) {
    this.out.text(log.type === "stderr" ? process.stderr : process.stdout, log.content);
  }

  onTestRunEnd(_testModules, unhandledErrors) {
    for (const error of unhandledErrors ?? []) {
      process.stderr.write(`Unhandled error: ${error.message ?? String(error)}\n${error.stack ?? ""}\n`);
    }
  }
}
