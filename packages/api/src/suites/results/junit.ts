import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { SuiteUpdate } from "@tower/shared";
import { StdoutDocument } from "./stdout-document";
import { fullName, relativeFile, testUpdate } from "./text";
import type { ParserOptions, ResultParser } from "./types";

type Element = Record<string, unknown>;

const LISTS = new Set(["testsuite", "testcase", "failure", "error", "skipped"]);
const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  alwaysCreateTextNode: true,
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => LISTS.has(name),
});

const list = (value: unknown): Element[] => (Array.isArray(value) ? (value as Element[]) : []);
const attr = (element: Element, name: string): string | undefined => {
  const value = element[`@${name}`];
  return typeof value === "string" ? value : undefined;
};
const text = (element: Element): string => (typeof element["#text"] === "string" ? element["#text"] : "");

/** Seconds as JUnit writes them ("0.012", sometimes "1,234.5"), in milliseconds. */
const millis = (time: string | undefined) => (time ? Number(time.replace(/,/g, "")) * 1000 : 0);

/** A name that is a file or a class (`a.test.ts`, `src/x.spec.ts`, `com.acme.FooTest`), not a describe block. */
const looksLikeFile = (name: string) => /[\\/]|\.[A-Za-z]\w*$/.test(name);

/** The failure's text: the body (message and stack) when there is one, else its message attribute. */
function failureMessage(failure: Element): string {
  const body = text(failure).trim();
  return body || attr(failure, "message") || attr(failure, "type") || "Failed";
}

/** Why a test was skipped, when the report says (node:test writes `message="true"` for a todo). */
const skipReason = (skipped: Element[]) =>
  skipped.map((element) => attr(element, "message") ?? "").find((reason) => reason !== "" && reason !== "true");

function* testcases(suite: Element, titles: string[], cwd: string | undefined, depth: number): Generator<SuiteUpdate> {
  const name = attr(suite, "name") ?? "";
  // The outermost <testsuite> is usually the file or class (vitest, Playwright, Java); node:test
  // writes describe blocks there. Nested ones are always describe blocks.
  // Depth -1 is the <testsuites> root, which node:test also puts test cases in.
  const fileSuite = depth <= 0 && (name === "" || looksLikeFile(name) || depth < 0);
  const inner = fileSuite ? titles : [...titles, name];
  const suiteFile = attr(suite, "file") ?? (fileSuite && name ? name : undefined);
  for (const testcase of list(suite["testcase"])) {
    const failures = [...list(testcase["failure"]), ...list(testcase["error"])];
    const skipped = list(testcase["skipped"]);
    const classname = attr(testcase, "classname");
    const file = attr(testcase, "file") ?? suiteFile ?? (classname && looksLikeFile(classname) ? classname : undefined);
    yield testUpdate({
      name: fullName([...inner, attr(testcase, "name") ?? ""]),
      file: relativeFile(file, cwd),
      status: failures.length > 0 ? "failed" : skipped.length > 0 ? "skipped" : "passed",
      durationMs: millis(attr(testcase, "time")),
      message: failures.length > 0 ? failures.map(failureMessage).join("\n\n") : skipReason(skipped),
    });
  }
  for (const nested of list(suite["testsuite"])) yield* testcases(nested, inner, cwd, depth + 1);
}

/** Reads a JUnit XML document into updates: the total first, then each test. */
export function readJunit(document: string, cwd?: string): SuiteUpdate[] {
  const valid = XMLValidator.validate(document);
  if (valid !== true) {
    return [{ kind: "problem", message: `The JUnit XML is not well-formed: line ${valid.err.line}: ${valid.err.msg}` }];
  }
  const root = xml.parse(document) as Element;
  const top = root["testsuites"];
  if (top === undefined && list(root["testsuite"]).length === 0) {
    return [{ kind: "problem", message: "The XML has no <testsuites> or <testsuite> element: is it a JUnit report?" }];
  }
  const tests = [...testcases(typeof top === "object" && top ? (top as Element) : root, [], cwd, -1)];
  return [{ kind: "total", total: tests.length }, ...tests];
}

/** JUnit XML from `resultsFile`, or from stdout when the suite has no results file. */
export function junitParser(options: ParserOptions = {}): ResultParser {
  const stdout = new StdoutDocument();
  return {
    line(line) {
      stdout.add(line);
      return [];
    },
    end(input = {}) {
      if (input.resultsFileText !== undefined) return readJunit(input.resultsFileText, options.cwd);
      if (stdout.overflowed) return [{ kind: "problem", message: `JUnit XML: ${stdout.tooLarge}` }];
      const document = stdout.slice(
        (line) => line.trimStart().startsWith("<"),
        (line) => /<\/testsuites?>\s*$/.test(line),
      );
      if (document === null) return [{ kind: "problem", message: "No JUnit XML was printed on stdout" }];
      return readJunit(document, options.cwd);
    },
  };
}
