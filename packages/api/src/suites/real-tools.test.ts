// The shipped reporters and the parsers, run through the real tools installed in this repository
// (vitest, @playwright/test, node --test) on tiny throwaway projects. Playwright's tests here use no
// `page` fixture, so no browser is needed.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { SuiteUpdate } from "@tower/shared";
import { runSuiteProcess, type RunnableSuite } from "./suite-process";

const node = process.execPath;
const reporter = (name: string) => fileURLToPath(new URL(`./reporters/${name}`, import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "tower-real-tools-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The folder of an installed package, looked up from `from` (a package.json in the repo), or null. */
function packageDir(name: string, from: string): string | null {
  try {
    return dirname(createRequire(join(repoRoot, from)).resolve(`${name}/package.json`));
  } catch (error) {
    console.warn(`[real-tools] ${name} not found from ${from}: ${(error as Error).message}; its test is skipped`);
    return null;
  }
}
const playwrightDir = packageDir("@playwright/test", "apps/web/package.json");
const vitestDir = packageDir("vitest", "packages/api/package.json");

/** A project folder with these files. */
function project(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

// Nested runners must not think they run inside this Vitest (VITEST_* variables change their mode).
const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1" };

async function run(suite: Pick<RunnableSuite, "command" | "cwd" | "format"> & Partial<RunnableSuite>) {
  const updates: SuiteUpdate[] = [];
  const output: string[] = [];
  const result = await runSuiteProcess(
    { timeoutSeconds: 120, ...suite },
    { env, onUpdate: (update) => updates.push(update), onOutput: (line) => output.push(line) },
  );
  const tests = updates.flatMap((u) => (u.kind === "test" ? [[u.test.name, u.test.status, u.test.file] as const] : []));
  return { result, updates, tests, output };
}

const VITEST_FILE = `import { describe, expect, it, test } from "vitest";
test("adds", () => { expect(1 + 1).toBe(2); });
describe("group", () => {
  it("fails", () => { expect({ a: 1 }).toEqual({ a: 2 }); });
  it.skip("is skipped", () => {});
  describe("nested", () => { it("passes deep", () => {}); });
});
`;
const NODE_FILE = `import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
test("adds", () => assert.equal(1 + 1, 2));
describe("group", () => {
  it("fails", () => assert.equal(1, 2, "one is not two"));
  it("is skipped", { skip: "later" }, () => {});
});
`;

describe.skipIf(!playwrightDir)("Playwright (real CLI)", () => {
  const cwd = project("playwright", {
    "playwright.config.mjs": `export default { testDir: ".", testMatch: "**/*.spec.mjs", workers: 1, retries: 1 };\n`,
    "example.spec.mjs": `import { test, expect } from "@playwright/test";
test("adds", async () => { expect(1 + 1).toBe(2); });
test.describe("group", () => {
  test("fails", async () => { expect(2).toBe(3); });
  test.skip("skipped", async () => {});
  test("flaky", async () => { if (test.info().retry === 0) throw new Error("first try fails"); });
});
`,
  });
  if (playwrightDir) {
    mkdirSync(join(cwd, "node_modules", "@playwright"), { recursive: true });
    symlinkSync(playwrightDir, join(cwd, "node_modules", "@playwright", "test"));
  }
  const cli = join(playwrightDir ?? "", "cli.js");

  it("the shipped reporter announces the total, then each test live", { timeout: 60_000 }, async () => {
    const { result, updates, tests } = await run({
      command: [node, cli, "test", `--reporter=${reporter("playwright-reporter.mjs")}`],
      cwd,
      format: "tower-jsonl",
    });
    expect(updates[0]).toEqual({ kind: "total", total: 4 });
    expect(tests).toEqual([
      ["adds", "passed", "example.spec.mjs"],
      ["group > fails", "failed", "example.spec.mjs"],
      ["group > skipped", "skipped", "example.spec.mjs"],
      ["group > flaky", "passed", "example.spec.mjs"],
    ]);
    const fails = updates.find((u) => u.kind === "test" && u.test.status === "failed");
    expect(fails?.kind === "test" && fails.test.message).toContain("Expected: 3");
    expect(result).toMatchObject({
      outcome: "failed",
      exitCode: 1,
      counts: { passed: 2, failed: 1, skipped: 1, total: 4 },
    });
  });

  it("playwright-json reads --reporter=json from the results file", { timeout: 60_000 }, async () => {
    const { result, tests } = await run({
      command: [node, cli, "test", "--reporter=json"],
      cwd,
      format: "playwright-json",
      resultsFile: "report.json",
      env: { PLAYWRIGHT_JSON_OUTPUT_FILE: "report.json" },
    });
    expect(tests.map(([name, status]) => [name, status])).toEqual([
      ["adds", "passed"],
      ["group > fails", "failed"],
      ["group > skipped", "skipped"],
      ["group > flaky", "passed"],
    ]);
    expect(result.problems).toEqual([]);
  });
});

describe.skipIf(!vitestDir)("Vitest (real CLI)", () => {
  const cwd = project("vitest", {
    "vitest.config.mjs": `export default { test: { include: ["**/*.test.mjs"] } };\n`,
    "math.test.mjs": VITEST_FILE,
  });
  const cli = join(vitestDir ?? "", "vitest.mjs");

  it("the shipped reporter reports each test live, the total growing as files are collected", async () => {
    const { result, updates, tests } = await run({
      command: [node, cli, "run", `--reporter=${reporter("vitest-reporter.mjs")}`],
      cwd,
      format: "tower-jsonl",
    });
    expect(updates.slice(0, 2)).toEqual([
      { kind: "total", total: 0 },
      { kind: "total", total: 4 },
    ]);
    expect(tests).toEqual([
      ["adds", "passed", "math.test.mjs"],
      ["group > fails", "failed", "math.test.mjs"],
      ["group > is skipped", "skipped", "math.test.mjs"],
      ["group > nested > passes deep", "passed", "math.test.mjs"],
    ]);
    expect(result).toMatchObject({
      outcome: "failed",
      exitCode: 1,
      counts: { passed: 2, failed: 1, skipped: 1, total: 4 },
    });
  });

  it("vitest-json reads --reporter=json from stdout", async () => {
    const { result, tests } = await run({ command: [node, cli, "run", "--reporter=json"], cwd, format: "vitest-json" });
    expect(tests.map(([name, status]) => [name, status])).toEqual([
      ["adds", "passed"],
      ["group > fails", "failed"],
      ["group > is skipped", "skipped"],
      ["group > nested > passes deep", "passed"],
    ]);
    expect(result.counts.total).toBe(4);
  });

  it("junit reads --reporter=junit from its output file", async () => {
    const { result } = await run({
      command: [node, cli, "run", "--reporter=junit", "--outputFile=junit.xml"],
      cwd,
      format: "junit",
      resultsFile: "junit.xml",
    });
    expect(result).toMatchObject({
      outcome: "failed",
      counts: { passed: 2, failed: 1, skipped: 1, total: 4 },
      problems: [],
    });
  });
});

describe("node --test (real CLI)", () => {
  const cwd = project("node", { "math.test.mjs": NODE_FILE });
  const expected = [
    ["adds", "passed"],
    ["group > fails", "failed"],
    ["group > is skipped", "skipped"],
  ];

  it("the shipped reporter reports each test, and the total at the end", async () => {
    const { result, updates, tests } = await run({
      command: [node, "--test", `--test-reporter=${reporter("node-test-reporter.mjs")}`],
      cwd,
      format: "tower-jsonl",
    });
    expect(tests.map(([name, status]) => [name, status])).toEqual(expected);
    expect(updates.at(-1)).toEqual({ kind: "total", total: 3 });
    expect(result).toMatchObject({ outcome: "failed", counts: { passed: 1, failed: 1, skipped: 1, total: 3 } });
  });

  it("node-tap reads --test-reporter=tap live", async () => {
    const { result, tests } = await run({ command: [node, "--test", "--test-reporter=tap"], cwd, format: "node-tap" });
    expect(tests.map(([name, status]) => [name, status])).toEqual(expected);
    expect(tests[1]![2]).toBe("math.test.mjs");
    expect(result).toMatchObject({ outcome: "failed", counts: { total: 3 } });
  });
});
