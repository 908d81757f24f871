import { LIMITS } from "@tower/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createWorld } from "../test-fixtures";
import { readYaml } from "./identity-yaml";

/** Process warnings emitted while `run` runs (the yaml package's default channel for its warnings). */
function warningsDuring(run: () => void): number {
  let count = 0;
  const onWarning = () => count++;
  process.on("warning", onWarning);
  try {
    run();
  } finally {
    process.off("warning", onWarning);
  }
  return count;
}

const failureOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  return null;
};

describe("readYaml", () => {
  let warnings = 0;
  afterEach(() => {
    // Node reports process warnings on the next tick: none may arrive late either.
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(warnings).toBe(0);
        resolve();
      }),
    );
  });

  it("says a second document (a --- line after the first) in the author's words, not the parser's API", () => {
    expect(failureOf(() => readYaml("name: scout\nrole: researcher\n---\n"))).toBe(
      "The file holds more than one YAML document (a --- line after the first): one file describes one agent or one list of agents",
    );
  });

  it("reads anchors and aliases as their values, up to the cap", () => {
    const content = `tools: &tools [read, write]\nagents:\n${Array.from({ length: LIMITS.yamlAliases }, (_, i) => `  - { name: a${i}, allowedTools: *tools }`).join("\n")}\n`;
    const read = readYaml(content) as { agents: { allowedTools: string[] }[] };
    expect(read.agents).toHaveLength(LIMITS.yamlAliases);
    expect(read.agents.at(-1)!.allowedTools).toEqual(["read", "write"]);
  });

  it("refuses a file with more aliases than the cap before resolving any", () => {
    const aliases = Array.from({ length: LIMITS.yamlAliases + 1 }, () => `  - *tools`).join("\n");
    const content = `tools: &tools [read]\nused:\n${aliases}\n`;
    expect(failureOf(() => readYaml(content))).toBe(
      "The file uses more than 100 YAML aliases (*name); write the values out instead",
    );
  });

  it("refuses a file with more anchors than the cap before parsing it (250 KB of them held the server for 4 s; of pairs, 8 s)", () => {
    const anchors = Array.from({ length: 20_000 }, (_, i) => `  - &a${i} x${i}`).join("\n");
    const aliases = Array.from({ length: 20_000 }, (_, i) => `  - *a${i}`).join("\n");
    const anchorsMessage = "The file has more than 100 YAML anchors (&name); write the values out instead";
    expect(failureOf(() => readYaml(`defined:\n${anchors}\nused:\n${aliases}\n`))).toBe(anchorsMessage);
    expect(failureOf(() => readYaml(`defined:\n${anchors}\n`))).toBe(anchorsMessage);
  });

  it("refuses flow collections nested deeper than any input may be before parsing them (125,000 [ held the server for 3 s)", () => {
    const tooDeep = "The file is nested too deeply to read (at most 32 levels)";
    expect(failureOf(() => readYaml(`${"[".repeat(125_000)}${"]".repeat(125_000)}`))).toBe(tooDeep);
    expect(failureOf(() => readYaml(`a: ${"{b: ".repeat(33)}c${"}".repeat(33)}`))).toBe(tooDeep);
    expect(readYaml(`a: ${"[".repeat(31)}c${"]".repeat(31)}`)).toBeTruthy();
  });

  it("refuses aliases that expand to too much data (a billion laughs within the alias cap)", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) {
      const previous = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
    }
    expect(failureOf(() => readYaml(levels.join("\n")))).toBe(
      "The file's aliases expand to too much data (at most 1,000 copies)",
    );
  });

  it("answers 10,000 unknown tags with one message for the file and no log line", () => {
    const content = `agents:\n${Array.from({ length: 10_000 }, (_, i) => `  - !thing${i} x`).join("\n")}\n`;
    let message: string | null = null;
    warnings = warningsDuring(() => (message = failureOf(() => readYaml(content))));
    expect(message).toBe(
      "The file uses YAML tags Tower does not know (!thing0 and 9,999 more); write plain values instead",
    );
  });

  it("still reports a syntax error with its place", () => {
    expect(failureOf(() => readYaml("name: [unclosed\n"))).toMatch(/line \d+, column \d+/);
  });
});

describe("agent.import with hostile YAML", () => {
  it("reports the file as rejected and imports the other files", async () => {
    const world = await createWorld();
    const { projectId } = world;
    const tags = `name: tagged\nrole: !secret r\n`;
    const aliases = `agents:\n${Array.from({ length: 200 }, (_, i) => `  - { name: &n${i} a${i}, role: *n${i} }`).join("\n")}\n`;
    const report = await world.users.owner.caller.agent.import({
      projectId,
      files: [
        { name: "tags.yaml", content: tags },
        { name: "aliases.yaml", content: aliases },
        { name: "plain.yaml", content: "name: plain\nrole: worker\n" },
      ],
    });
    expect(report.files.map((file) => [file.file, file.error ?? file.agents.map((a) => a.outcome).join()])).toEqual([
      ["tags.yaml", "The file uses YAML tags Tower does not know (!secret); write plain values instead"],
      ["aliases.yaml", "The file has more than 100 YAML anchors (&name); write the values out instead"],
      ["plain.yaml", "created"],
    ]);
    world.close();
  });
});
