// Tower's live results for Playwright: prints the tower-jsonl protocol on stdout (one JSON object a
// line: {"tower":"begin","total":N}, then {"tower":"test",...} as each test ends), so the dashboard
// shows progress against a known total. Plain ES module with no imports; use it as the only
// reporter, or next to others that do not print to stdout:
//
//   npx playwright test --reporter=/path/to/playwright-reporter.mjs
//   reporter: [["/path/to/playwright-reporter.mjs"], ["html", { open: "never" }]]
//
// Written against the Reporter API (https://playwright.dev/docs/api/class-reporter), checked with
// @playwright/test 1.65.1.

/** Writes to stdout, starting each protocol line on a line of its own (test output may not end one). */
function createOut() {
  let atLineStart = true;
  return {
    text(chunk) {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      if (text === "") return;
      process.stdout.write(text);
      atLineStart = text.endsWith("\n");
    },
    message(value) {
      process.stdout.write(`${atLineStart ? "" : "\n"}${JSON.stringify(value)}\n`);
      atLineStart = true;
    },
  };
}

/** Describe titles and the test's own, without the root, project and file suites. */
function titles(test) {
  const names = [test.title];
  for (let suite = test.parent; suite && suite.type === "describe"; suite = suite.parent) names.unshift(suite.title);
  return names.filter((name) => name !== "");
}

function status(outcome) {
  if (outcome === "unexpected") return "failed";
  if (outcome === "skipped") return "skipped";
  return "passed"; // expected, or flaky (passed on a retry)
}

const errorText = (result) =>
  (result.errors?.length ? result.errors : result.error ? [result.error] : [])
    .map((error) => error.message ?? error.value ?? "")
    .filter(Boolean)
    .join("\n\n");

export default class TowerPlaywrightReporter {
  out = createOut();

  /** Tells Playwright this reporter owns stdout, so it adds no default reporter that would print too. */
  printsToStdio() {
    return true;
  }

  onBegin(_config, suite) {
    this.out.message({ tower: "begin", total: suite.allTests().length });
  }

  onTestEnd(test, result) {
    // With retries this is called once per attempt; only the last attempt decides the outcome.
    const willRetry =
      result.status !== "skipped" && result.status !== test.expectedStatus && result.retry < test.retries;
    if (willRetry) return;
    const outcome = test.outcome();
    const project = test.parent?.project?.()?.name;
    const name = titles(test).join(" > ");
    const failed = test.results.filter((attempt) => errorText(attempt) !== "");
    let message = outcome === "unexpected" && failed.length > 0 ? errorText(failed.at(-1)) : undefined;
    if (outcome === "flaky")
      message = `Flaky: passed on retry ${result.retry} after failing with:\n${errorText(failed[0] ?? result)}`;
    if (outcome === "skipped")
      message = test.annotations.find((a) => a.type === "skip" || a.type === "fixme")?.description;
    this.out.message({
      tower: "test",
      name: project ? `[${project}] ${name}` : name,
      file: test.location?.file,
      status: status(outcome),
      durationMs: test.results.reduce((sum, attempt) => sum + (attempt.duration > 0 ? attempt.duration : 0), 0),
      ...(message ? { message } : {}),
    });
  }

  // With this reporter alone nothing else prints what tests write, or errors outside tests.
  onStdOut(chunk) {
    this.out.text(chunk);
  }

  onStdErr(chunk) {
    process.stderr.write(chunk);
  }

  onError(error) {
    process.stderr.write(`Error: ${error.message ?? error.value ?? "unknown"}\n${error.stack ?? ""}\n`);
  }
}
