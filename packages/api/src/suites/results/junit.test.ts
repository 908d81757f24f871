import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { junitParser } from "./junit";
import { parseText, testsOf } from "./parse-text";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("junit", () => {
  it("reads Vitest's JUnit report (vitest 4.1.12 --reporter=junit)", () => {
    const updates = junitParser().end({ resultsFileText: fixture("vitest-junit.xml") });
    expect(updates[0]).toEqual({ kind: "total", total: 6 });
    const tests = testsOf(updates);
    expect(tests.map((t) => [t.name, t.file, t.status])).toEqual([
      ["broken.test.mjs", "broken.test.mjs", "failed"],
      ["adds", "math.test.mjs", "passed"],
      ["group > fails with a diff", "math.test.mjs", "failed"],
      ["group > is skipped", "math.test.mjs", "skipped"],
      ["group > is todo", "math.test.mjs", "skipped"],
      ["group > nested > passes deep", "math.test.mjs", "passed"],
    ]);
    expect(tests[0]!.message).toContain("cannot load this file");
    expect(tests[2]!.message).toContain('-   "a": 2,'); // entities decoded
    expect(tests[2]!.durationMs).toBeCloseTo(6.028, 2);
  });

  it("reads Playwright's JUnit report, CDATA bodies included (@playwright/test 1.65.1)", () => {
    const tests = testsOf(junitParser().end({ resultsFileText: fixture("playwright-junit.xml") }));
    expect(tests.map((t) => [t.name, t.status])).toEqual([
      ["adds", "passed"],
      ["group › fails", "failed"],
      ["group › skipped", "skipped"],
      ["group › inner › flaky", "passed"],
    ]);
    expect(tests[1]!.file).toBe("example.spec.mjs");
    expect(tests[1]!.message).toContain("Expected: 3");
    expect(tests[1]!.durationMs).toBe(20);
  });

  it("reads node:test's JUnit report, where nested <testsuite>s are describe blocks (node 20)", () => {
    const tests = testsOf(parseText(junitParser(), fixture("node-junit.xml")));
    expect(tests.map((t) => [t.name, t.status])).toEqual([
      ["adds numbers", "passed"],
      ["fails on purpose", "failed"],
      ["skipped one", "skipped"],
      ["second file test", "passed"], // the parser groups the root's <testcase>s before its <testsuite>s
      ["outer suite > inner passes", "passed"],
      ["outer suite > deeper > deep fails", "failed"],
      ["parent with subtests > child one", "passed"],
      ["parent with subtests > child two", "skipped"],
    ]);
    expect(tests[2]!.message).toBe("not today");
    expect(tests[7]!.message).toBeUndefined(); // message="true" on a todo says nothing
    expect(tests[5]!.message).toContain("deep trouble");
  });

  it("finds the XML on stdout between other output", () => {
    const stdout = ["building…", fixture("vitest-junit.xml").trim(), "done in 1s"].join("\n");
    const updates = parseText(junitParser(), stdout);
    expect(updates[0]).toEqual({ kind: "total", total: 6 });
    expect(updates.some((u) => u.kind === "problem")).toBe(false);
  });

  it("reads a bare <testsuite> root and <error> elements", () => {
    const xml = `<testsuite name="com.acme.FooTest"><testcase classname="com.acme.FooTest" name="boom" time="1,234.5"><error message="NPE"/></testcase></testsuite>`;
    const [total, update] = junitParser().end({ resultsFileText: xml });
    expect(total).toEqual({ kind: "total", total: 1 });
    expect(update).toEqual({
      kind: "test",
      test: { name: "boom", file: "com.acme.FooTest", status: "failed", durationMs: 1_234_500, message: "NPE" },
    });
  });

  it("says what is wrong with XML it cannot read", () => {
    expect(junitParser().end({ resultsFileText: "<testsuites><testsuite></testsuites>" })).toEqual([
      { kind: "problem", message: expect.stringMatching(/^The JUnit XML is not well-formed: line 1: .*testsuite/) },
    ]);
    expect(parseText(junitParser(), "no xml here\n")).toEqual([
      { kind: "problem", message: "No JUnit XML was printed on stdout" },
    ]);
    expect(junitParser().end({ resultsFileText: "<html></html>" })[0]).toMatchObject({
      kind: "problem",
      message: expect.stringContaining("JUnit"),
    });
  });
});
