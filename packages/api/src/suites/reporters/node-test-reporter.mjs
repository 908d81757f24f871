// Tower's live results for node:test: prints the tower-jsonl protocol on stdout (one JSON object a
// line) as each test ends. node:test learns how many tests a file has only by running it, so the
// total comes at the end. A custom reporter is an async generator over the runner's events
// (https://nodejs.org/api/test.html#custom-reporters); checked with Node 20.20:
//
//   node --test --test-reporter=/path/to/node-test-reporter.mjs

const line = (value) => `${JSON.stringify(value)}\n`;

function messageOf(error) {
  const cause = error?.cause ?? error; // node:test wraps the thrown error in ERR_TEST_FAILURE
  if (cause === undefined || cause === null) return undefined;
  return typeof cause === "object" && "message" in cause ? String(cause.message) : String(cause);
}

export default async function* towerNodeTestReporter(source) {
  // Per file (files may run side by side): the names of the tests started and not yet ended, and
  // whether each has subtests. Only leaf tests are reported, and a parent that failed on its own.
  const running = new Map();
  let total = 0;
  for await (const event of source) {
    const data = event.data ?? {};
    const stack = running.get(data.file) ?? [];
    running.set(data.file, stack);
    switch (event.type) {
      case "test:start": {
        stack.length = data.nesting;
        if (data.nesting > 0 && stack[data.nesting - 1]) stack[data.nesting - 1].hasChildren = true;
        stack[data.nesting] = { name: data.name, hasChildren: false, childFailed: false };
        break;
      }
      case "test:pass":
      case "test:fail": {
        const frame = stack[data.nesting] ?? { name: data.name, hasChildren: false, childFailed: false };
        const names = [...stack.slice(0, data.nesting).map((ancestor) => ancestor.name), data.name];
        stack.length = data.nesting;
        const failed = event.type === "test:fail" && !data.todo;
        if (failed && stack[data.nesting - 1]) stack[data.nesting - 1].childFailed = true;
        const error = data.details?.error;
        const ownFailure = failed && !frame.childFailed && error?.failureType !== "subtestsFailed";
        if (frame.hasChildren && !ownFailure) break;
        total++;
        const skipped = data.skip !== undefined || data.todo !== undefined;
        const reason =
          typeof data.skip === "string" ? data.skip : typeof data.todo === "string" ? data.todo : undefined;
        const message = failed ? messageOf(error) : reason;
        yield line({
          tower: "test",
          name: names.join(" > "),
          ...(data.file ? { file: data.file } : {}),
          status: skipped ? "skipped" : failed ? "failed" : "passed",
          durationMs: data.details?.duration_ms ?? 0,
          ...(message ? { message } : {}),
        });
        break;
      }
      case "test:stdout":
      case "test:stderr":
        if (event.type === "test:stdout") yield data.message;
        else process.stderr.write(data.message);
        break;
      case "test:diagnostic":
        if (data.nesting === 0) yield `# ${data.message}\n`;
        break;
      default:
        break;
    }
  }
  yield line({ tower: "total", total });
}
