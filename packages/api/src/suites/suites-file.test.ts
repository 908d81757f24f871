import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadSuitesFile, parseSuitesFile, SuitesFileError } from "./suites-file";

const dir = mkdtempSync(join(tmpdir(), "tower-suites-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The message parseSuitesFile throws for `yaml`, or null. */
function problem(yaml: string): string | null {
  try {
    parseSuitesFile(yaml, "tower-suites.yaml");
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(SuitesFileError);
    return (error as Error).message;
  }
}

const suite = (extra: string) =>
  `suites:\n  - name: ok\n    command: npm test\n    format: junit\n  - name: two\n${extra}`;

describe("loadSuitesFile", () => {
  it("reads a YAML file: defaults, argv commands, env as text, cwd resolved against the file's folder", async () => {
    mkdirSync(join(dir, "conf"));
    mkdirSync(join(dir, "web"));
    const path = join(dir, "conf", "tower-suites.yaml");
    writeFileSync(
      path,
      [
        "suites:",
        "  - name: e2e-smoke",
        "    title: Smoke tests",
        "    command: [npx, playwright, test, --reporter=json]",
        "    cwd: ../web",
        "    format: playwright-json",
        "    resultsFile: results.json",
        "    env: { CI: 1, DEBUG: false, NAME: tower }",
        "  - name: unit",
        "    command: node --test --test-reporter=tap",
        "    format: node-tap",
        "    timeoutSeconds: 21600",
      ].join("\n"),
    );
    expect(await loadSuitesFile(path)).toEqual([
      {
        name: "e2e-smoke",
        title: "Smoke tests",
        command: ["npx", "playwright", "test", "--reporter=json"],
        cwd: join(dir, "web"),
        format: "playwright-json",
        resultsFile: "results.json",
        env: { CI: "1", DEBUG: "false", NAME: "tower" },
        timeoutSeconds: 600,
      },
      {
        name: "unit",
        command: "node --test --test-reporter=tap",
        cwd: join(dir, "conf"),
        format: "node-tap",
        timeoutSeconds: 21600,
      },
    ]);
  });

  it("reads JSON, and keeps an absolute cwd", async () => {
    const path = join(dir, "suites.json");
    const app = join(dir, "app"); // absolute
    mkdirSync(app);
    writeFileSync(
      path,
      JSON.stringify({ suites: [{ name: "a", command: ["true"], cwd: app, format: "tower-jsonl" }] }),
    );
    expect(await loadSuitesFile(path)).toEqual([
      { name: "a", command: ["true"], cwd: app, format: "tower-jsonl", timeoutSeconds: 600 },
    ]);
  });

  it("refuses a suite whose folder is not there, naming the suite and the folder", async () => {
    const path = join(dir, "folders.yaml");
    writeFileSync(
      path,
      `suites:\n  - { name: a, command: "true", format: junit }\n  - { name: b, command: "true", format: junit, cwd: /path/to/your/project }\n  - { name: c, command: "true", format: junit, cwd: folders.yaml }\n`,
    );
    await expect(loadSuitesFile(path)).rejects.toThrow(
      `${path}: suites[1].cwd: the folder /path/to/your/project does not exist\n${path}: suites[2].cwd: the folder ${join(dir, "folders.yaml")} is not a folder`,
    );
  });

  it("returns null when there is no file, so the server runs without suites", async () => {
    expect(await loadSuitesFile(join(dir, "missing.yaml"))).toBeNull();
  });

  it("names the file in every error, including unreadable JSON and a folder", async () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, "{ suites: [] }");
    await expect(loadSuitesFile(path)).rejects.toThrow(new RegExp(`^${path}: not valid JSON: `));
    await expect(loadSuitesFile(dir)).rejects.toThrow(`${dir}: not a file`);
  });
});

describe("parseSuitesFile errors name the file, the suite and the field", () => {
  it.each([
    [
      "timeoutSeconds",
      suite("    command: x\n    format: junit\n    timeoutSeconds: 99999\n"),
      "suites[1].timeoutSeconds: Must be at most 21600",
    ],
    [
      "timeout type",
      suite("    command: x\n    format: junit\n    timeoutSeconds: soon\n"),
      "suites[1].timeoutSeconds: Enter a number of seconds",
    ],
    [
      "name",
      suite("    command: x\n    format: junit\n  - name: Bad_Name\n    command: x\n    format: junit\n"),
      "suites[2].name: Use lowercase letters, digits and single dashes, e.g. e2e-smoke",
    ],
    [
      "long name",
      suite(`    command: x\n    format: junit\n  - name: ${"a".repeat(81)}\n    command: x\n    format: junit\n`),
      "suites[2].name: Name must be at most 80 characters",
    ],
    [
      "duplicate",
      suite("    command: x\n    format: junit\n  - name: ok\n    command: y\n    format: junit\n"),
      'suites[2].name: Duplicate suite name "ok" (also suites[0])',
    ],
    [
      "format",
      suite("    command: x\n    format: mocha\n"),
      "suites[1].format: Use one of: junit, vitest-json, playwright-json, node-tap, tower-jsonl",
    ],
    ["missing command", suite("    format: junit\n"), "suites[1].command: Command is required"],
    ["empty command", suite("    command: '  '\n    format: junit\n"), "suites[1].command: The command is empty"],
    [
      "empty argv",
      suite("    command: []\n    format: junit\n"),
      "suites[1].command: The argument list is empty: it starts with the program to run",
    ],
    [
      "command type",
      suite("    command: 42\n    format: junit\n"),
      "suites[1].command: Give the command as a string (run by /bin/sh -c) or as a list of arguments",
    ],
    [
      "unknown key",
      suite("    command: x\n    format: junit\n    timeout: 5\n"),
      'suites[1]: Unrecognized key: "timeout"',
    ],
    [
      "env name",
      suite("    command: x\n    format: junit\n    env: { bad-name: x }\n"),
      'suites[1].env.bad-name: "bad-name" is not a valid environment variable name: use letters, digits and underscores',
    ],
    [
      "resultsFile on a live format",
      suite("    command: x\n    format: tower-jsonl\n    resultsFile: out.txt\n"),
      "suites[1].resultsFile: The tower-jsonl format is read live from stdout; resultsFile applies to junit, vitest-json, playwright-json",
    ],
  ])("%s", (_label, yaml, message) => {
    expect(problem(yaml)).toBe(`tower-suites.yaml: ${message}`);
  });

  it("reports the file's shape and YAML syntax errors with their place", () => {
    expect(problem("")).toBe(
      'tower-suites.yaml: expected an object with a "suites" list, e.g. suites: [{ name, command, format }]',
    );
    expect(problem("suites: 3\n")).toBe("tower-suites.yaml: suites: Give the suites as a list");
    expect(problem("suites:\n  - name: a\n   bad: [\n")).toMatch(
      /^tower-suites\.yaml: not valid YAML: line \d+, column \d+: \S/,
    );
  });

  it("lists every problem, one line each", () => {
    const message = problem(
      suite("    command: x\n    format: junit\n    timeoutSeconds: 0\n  - name: three\n    format: junit\n"),
    );
    expect(message?.split("\n")).toEqual([
      "tower-suites.yaml: suites[1].timeoutSeconds: Must be more than 0",
      "tower-suites.yaml: suites[2].command: Command is required",
    ]);
  });
});
