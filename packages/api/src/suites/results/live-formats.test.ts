import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { SuiteUpdate } from "@tower/shared";
import { LineSplitter } from "../line-splitter";
import { nodeTapParser } from "./node-tap";
import { parseText, testsOf } from "./parse-text";
import { towerJsonlParser } from "./tower-jsonl";
import type { ResultParser } from "./types";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

/** Feeds `text` in chunks of `size` bytes, cut anywhere (mid-line, mid-character), as a pipe delivers it. */
function feedInChunks(parser: ResultParser, text: string, size: number): SuiteUpdate[][] {
  const bytes = Buffer.from(text);
  const perLine: SuiteUpdate[][] = [];
  const splitter = new LineSplitter({ maxLineChars: 1 << 20, onLine: (line) => perLine.push(parser.line(line)) });
  for (let at = 0; at < bytes.length; at += size) splitter.write(bytes.subarray(at, at + size));
  splitter.end();
  perLine.push(parser.end());
  return perLine;
}

describe("node-tap (node 20 --test --test-reporter=tap)", () => {
  const expected = [
    ["adds numbers", "passed"],
    ["fails on purpose", "failed"],
    ["skipped one", "skipped"],
    ["outer suite > inner passes", "passed"],
    ["outer suite > deeper > deep fails", "failed"],
    ["parent with subtests > child one", "passed"],
    ["parent with subtests > child two", "skipped"],
    ["second file test", "passed"],
  ];

  it("reads leaf tests with full names, durations, files and errors", () => {
    const updates = parseText(nodeTapParser({ cwd: "/tmp/sx/node" }), fixture("node-tap.txt"));
    const tests = testsOf(updates);
    expect(tests.map((t) => [t.name, t.status])).toEqual(expected);
    expect(updates.filter((u) => u.kind === "total")).toEqual([{ kind: "total", total: 8 }]);
    expect(tests[0]).toEqual({ name: "adds numbers", status: "passed", durationMs: 0.923 });
    expect(tests[1]).toEqual({
      name: "fails on purpose",
      file: "a.test.mjs",
      status: "failed",
      durationMs: 1.21,
      message: "math is broken\n\n2 !== 3",
    });
    expect(tests[2]!.message).toBe("SKIP not today");
    expect(tests[4]!.message).toBe("deep trouble\nsecond line");
    expect(tests[6]!.message).toBe("TODO");
  });

  it("reports each test as soon as its block ends, whatever the chunking", () => {
    for (const size of [1, 3, 7, 64, 4096]) {
      const perLine = feedInChunks(nodeTapParser(), fixture("node-tap.txt"), size);
      expect(testsOf(perLine.flat()).map((t) => [t.name, t.status])).toEqual(expected);
      // Live: the first test arrives at the `...` closing its block (line 6), not at the end.
      expect(perLine.findIndex((updates) => updates.some((u) => u.kind === "test"))).toBe(5);
    }
  });

  it("reports a parent that failed on its own (a hook), and a test point without a YAML block", () => {
    const tap = [
      "TAP version 13",
      "# Subtest: with hook",
      "    # Subtest: child",
      "    ok 1 - child",
      "    1..1",
      "not ok 1 - with hook",
      "  ---",
      "  failureType: 'hookFailed'",
      "  error: 'before each failed'",
      "  ...",
      "ok 2 - bare \\# hash",
      "Bail out! database down",
      "1..2",
    ].join("\n");
    const updates = parseText(nodeTapParser(), tap);
    expect(testsOf(updates).map((t) => [t.name, t.status, t.message])).toEqual([
      ["with hook > child", "passed", undefined],
      ["with hook", "failed", "before each failed"],
      ["bare # hash", "passed", undefined],
    ]);
    expect(updates).toContainEqual({ kind: "problem", message: "TAP: Bail out! database down" });
    expect(updates.at(-1)).toEqual({ kind: "total", total: 3 });
  });

  it("takes a plan printed first as the total", () => {
    expect(parseText(nodeTapParser(), "1..2\nok 1 - a\nok 2 - b\n").filter((u) => u.kind === "total")).toEqual([
      { kind: "total", total: 2 },
    ]);
  });
});

describe("tower-jsonl", () => {
  const lines = [
    "> my-suite@1.0.0 test",
    '{"tower":"begin","total":3}',
    '{"tower":"test","name":"a > b","file":"/repo/a.test.ts","status":"passed","durationMs":12.5}',
    '{"not":"tower"}',
    '{"tower":"test","name":"c","status":"failed","durationMs":3,"message":"\\u001b[31mboom\\u001b[39m"}',
    "{ broken json",
    '{"tower":"test","name":"d","status":"skipped"}',
    '{"tower":"total","total":4}',
  ];

  it("reads begin, test and total messages and leaves other lines alone", () => {
    const perLine = lines.map((line) => towerJsonlParser({ cwd: "/repo" }).line(line));
    expect(perLine).toEqual([
      [],
      [{ kind: "total", total: 3 }],
      [{ kind: "test", test: { name: "a > b", file: "a.test.ts", status: "passed", durationMs: 12.5 } }],
      [],
      [{ kind: "test", test: { name: "c", status: "failed", durationMs: 3, message: "boom" } }],
      [],
      [{ kind: "test", test: { name: "d", status: "skipped", durationMs: 0 } }],
      [{ kind: "total", total: 4 }],
    ]);
  });

  it("reads whole lines however the pipe cuts them", () => {
    for (const size of [1, 5, 50]) {
      const tests = testsOf(feedInChunks(towerJsonlParser(), lines.join("\r\n") + "\r\n", size).flat());
      expect(tests.map((t) => t.name)).toEqual(["a > b", "c", "d"]);
    }
  });

  it("names what is wrong with a malformed protocol line, a few times at most", () => {
    const parser = towerJsonlParser();
    expect(parser.line('{"tower":"test","name":"x","status":"broken"}')).toEqual([
      {
        kind: "problem",
        message:
          'A tower-jsonl line was not understood: status: Invalid option: expected one of "passed"|"failed"|"skipped"',
      },
    ]);
    for (let i = 0; i < 10; i++) parser.line('{"tower":"nope"}');
    expect(parser.line('{"tower":"nope"}')).toEqual([]);
  });
});
