import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseText, testsOf } from "./parse-text";
import { playwrightJsonParser } from "./playwright-json";
import { vitestJsonParser } from "./vitest-json";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("vitest-json (vitest 4.1.12 --reporter=json)", () => {
  it("reads every test with its suite titles, status, duration and failure", () => {
    const updates = parseText(vitestJsonParser({ cwd: "/tmp/sx/vt" }), fixture("vitest-json.stdout"));
    expect(updates[0]).toEqual({ kind: "total", total: 6 });
    const tests = testsOf(updates);
    expect(tests.map((t) => [t.name, t.file, t.status])).toEqual([
      ["broken.test.mjs", "broken.test.mjs", "failed"], // the file failed to load: one failed entry
      ["adds", "math.test.mjs", "passed"],
      ["group > fails with a diff", "math.test.mjs", "failed"],
      ["group > is skipped", "math.test.mjs", "skipped"],
      ["group > is todo", "math.test.mjs", "skipped"],
      ["group > nested > passes deep", "math.test.mjs", "passed"],
    ]);
    expect(tests[0]!.message).toBe("cannot load this file");
    expect(tests[2]!.message).toMatch(/^AssertionError: expected \{ a: 1 \} to deeply equal \{ a: 2 \}/);
    expect(tests[2]!.durationMs).toBeCloseTo(6.504, 2);
    expect(tests[3]!.durationMs).toBe(0);
  });

  it("reads the report from the results file, ignoring stdout", () => {
    const parser = vitestJsonParser();
    parser.line("some chatter");
    expect(testsOf(parser.end({ resultsFileText: fixture("vitest-json.stdout") }))).toHaveLength(6);
  });

  it("says when there is no report, or it is not one", () => {
    expect(parseText(vitestJsonParser(), "RUN v4\n")).toEqual([
      { kind: "problem", message: "No Vitest JSON report was printed on stdout" },
    ]);
    expect(parseText(vitestJsonParser(), '{"testResults": [\n')[0]).toMatchObject({
      message: expect.stringMatching(/^The Vitest JSON report is not valid JSON: /),
    });
    expect(parseText(vitestJsonParser(), '{"results": []}\n')).toEqual([
      {
        kind: "problem",
        message: "Not a Vitest JSON report: testResults: Invalid input: expected array, received undefined",
      },
    ]);
  });
});

describe("playwright-json (@playwright/test 1.65.1 --reporter=json)", () => {
  it("walks nested suites and maps expected, unexpected, skipped and flaky", () => {
    const updates = parseText(playwrightJsonParser(), fixture("playwright-json.stdout"));
    expect(updates[0]).toEqual({ kind: "total", total: 4 });
    const tests = testsOf(updates);
    expect(tests.map((t) => [t.name, t.file, t.status])).toEqual([
      ["adds", "example.spec.mjs", "passed"],
      ["group > fails", "example.spec.mjs", "failed"],
      ["group > skipped", "example.spec.mjs", "skipped"],
      ["group > inner > flaky", "example.spec.mjs", "passed"],
    ]);
    const [adds, fails, , flaky] = tests;
    expect(adds!.durationMs).toBe(8);
    expect(fails!.durationMs).toBe(23); // both attempts: 14 + 9 ms
    expect(fails!.message).toMatch(
      /^Error: expect\(received\)\.toBe\(expected\) \/\/ Object\.is equality\n\nExpected: 3\nReceived: 2/,
    );
    expect(fails!.message).not.toContain("\u001b["); // colours removed
    expect(flaky!.message).toMatch(/^Flaky: passed on retry 1 after failing with:\nError: first try fails/);
  });

  it("names the project when there are several, and reports errors outside tests", () => {
    const report = {
      suites: [
        {
          title: "a.spec.ts",
          file: "a.spec.ts",
          specs: [
            {
              title: "loads",
              file: "a.spec.ts",
              tests: [
                { projectName: "chromium", status: "expected", results: [{ status: "passed", duration: 5 }] },
                { projectName: "firefox", status: "skipped", results: [{ status: "skipped", duration: 0 }] },
              ],
            },
          ],
        },
      ],
      errors: [{ message: "Error: No tests found" }],
    };
    const updates = playwrightJsonParser().end({ resultsFileText: JSON.stringify(report) });
    expect(updates).toEqual([
      { kind: "total", total: 2 },
      { kind: "test", test: { name: "[chromium] loads", file: "a.spec.ts", status: "passed", durationMs: 5 } },
      { kind: "test", test: { name: "[firefox] loads", file: "a.spec.ts", status: "skipped", durationMs: 0 } },
      { kind: "problem", message: "Playwright: Error: No tests found" },
    ]);
  });
});
