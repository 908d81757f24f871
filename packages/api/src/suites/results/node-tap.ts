import { parse as parseYaml } from "yaml";
import type { SuiteUpdate, TestStatus } from "@tower/shared";
import { fullName, relativeFile, testUpdate } from "./text";
import type { ParserOptions, ResultParser } from "./types";

/**
 * TAP 13 as `node --test --test-reporter=tap` prints it, read live. A test's lines arrive in this
 * order (nested subtests indented by four spaces each, between their parent's header and its
 * test point):
 *
 *     # Subtest: outer
 *         # Subtest: inner
 *         not ok 1 - inner
 *           ---
 *           duration_ms: 1.2
 *           error: |-
 *             boom
 *           ...
 *         1..1
 *     not ok 1 - outer
 *
 * Only leaf tests are counted; a parent is reported only when it failed on its own (a hook threw),
 * not because a subtest did. A test is reported when its YAML block ends, or at the next line when
 * it has none.
 */

const SUBTEST = /^(\s*)# Subtest: (.*)$/;
const TEST_POINT = /^(\s*)(not )?ok\b(?:\s+\d+)?(?:\s+-)?\s?(.*)$/;
const DIRECTIVE = /^(.*?)(?:\s+#\s*(SKIP|TODO)\b\s*(.*))?$/i;
const PLAN = /^(\s*)1\.\.(\d+)/;
const BAIL_OUT = /^\s*Bail out!\s*(.*)$/;
/** A test's YAML block beyond this (a huge stack or diff) is not kept: the output log has it all. */
const MAX_YAML_LINES = 2_000;

type Frame = { name: string; hadChildren: boolean; childFailed: boolean };
type Pending = {
  depth: number;
  indent: number;
  name: string;
  status: TestStatus;
  reason: string;
  yaml: string[] | null;
};
type Diagnostic = { duration_ms?: unknown; error?: unknown; location?: unknown; failureType?: unknown };

const depthOf = (indent: string) => Math.floor(indent.length / 4);
const unescape = (name: string) => name.replace(/\\([#\\])/g, "$1");

function readDiagnostic(lines: string[], indent: number): Diagnostic {
  try {
    const value: unknown = parseYaml(lines.map((line) => line.slice(indent)).join("\n"));
    return value && typeof value === "object" ? (value as Diagnostic) : {};
  } catch {
    return {}; // a malformed block loses its details, not the test
  }
}

/** `'/x/a.test.mjs:4:1'` → `/x/a.test.mjs` */
const locationFile = (location: unknown) =>
  typeof location === "string" ? location.replace(/:\d+:\d+$/, "") : undefined;

export function nodeTapParser(options: ParserOptions = {}): ResultParser {
  const frames: Frame[] = [];
  let pending: Pending | null = null;
  let leaves = 0;
  let announced: number | null = null;

  /** Notes that the test at `depth - 1` has subtests (creating nameless frames for TAP without headers). */
  function markParent(depth: number): void {
    if (depth === 0) return;
    while (frames.length < depth) frames.push({ name: "", hadChildren: false, childFailed: false });
    frames[depth - 1]!.hadChildren = true;
  }

  function finish(test: Pending): SuiteUpdate[] {
    pending = null;
    const diagnostic = test.yaml ? readDiagnostic(test.yaml, test.indent + 2) : {};
    const frame = frames[test.depth] ?? { name: test.name, hadChildren: false, childFailed: false };
    if (frames.length > test.depth) frames.length = test.depth; // this test is done: what remains are its ancestors
    const parent = frames[test.depth - 1];
    if (test.status === "failed" && parent) parent.childFailed = true;
    const ownFailure = test.status === "failed" && !frame.childFailed && diagnostic.failureType !== "subtestsFailed";
    if (frame.hadChildren && !ownFailure) return [];
    leaves++;
    const error = diagnostic.error === undefined ? undefined : String(diagnostic.error);
    return [
      testUpdate({
        name: fullName([...frames.map((ancestor) => ancestor.name), test.name]),
        file: relativeFile(locationFile(diagnostic.location), options.cwd),
        status: test.status,
        durationMs: typeof diagnostic.duration_ms === "number" ? diagnostic.duration_ms : 0,
        message: test.status === "failed" ? error : test.reason,
      }),
    ];
  }

  function read(line: string): SuiteUpdate[] {
    const subtest = SUBTEST.exec(line);
    if (subtest) {
      const depth = depthOf(subtest[1]!);
      markParent(depth);
      frames.length = depth;
      frames.push({ name: unescape(subtest[2]!), hadChildren: false, childFailed: false });
      return [];
    }
    const point = TEST_POINT.exec(line);
    if (point) {
      const depth = depthOf(point[1]!);
      const [, title = "", directive, reason = ""] = DIRECTIVE.exec(point[3]!)!;
      markParent(depth);
      pending = {
        depth,
        indent: point[1]!.length,
        name: unescape(title),
        status: directive ? "skipped" : point[2] ? "failed" : "passed",
        reason: directive ? `${directive.toUpperCase()}${reason ? ` ${reason}` : ""}` : "",
        yaml: null,
      };
      return [];
    }
    const plan = PLAN.exec(line);
    if (plan && plan[1] === "") {
      // Node prints the plan last, counting top-level tests; a plan printed first is the best guess.
      announced = leaves > 0 ? leaves : Number(plan[2]);
      return [{ kind: "total", total: announced }];
    }
    const bail = BAIL_OUT.exec(line);
    if (bail) return [{ kind: "problem", message: `TAP: Bail out! ${bail[1] ?? ""}`.trim() }];
    return [];
  }

  return {
    line(line) {
      const test = pending;
      if (test?.yaml) {
        if (line.trim() === "..." && line.length - line.trimStart().length === test.indent + 2) return finish(test);
        if (test.yaml.length < MAX_YAML_LINES) test.yaml.push(line);
        return [];
      }
      if (test && line === `${" ".repeat(test.indent + 2)}---`) {
        test.yaml = [];
        return [];
      }
      return [...(test ? finish(test) : []), ...read(line)];
    },
    end() {
      const updates = pending ? finish(pending) : [];
      if (announced !== leaves) updates.push({ kind: "total", total: leaves });
      return updates;
    },
  };
}
