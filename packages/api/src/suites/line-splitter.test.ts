import { describe, expect, it } from "vitest";
import { LineSplitter } from "./line-splitter";

function split(chunks: (string | Buffer)[], maxLineChars = 100) {
  const lines: [string, boolean][] = [];
  const splitter = new LineSplitter({ maxLineChars, onLine: (line, cut) => lines.push([line, cut]) });
  for (const chunk of chunks) splitter.write(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  splitter.end();
  return lines;
}

describe("LineSplitter", () => {
  it("joins lines split across chunks and drops \\n and \\r\\n", () => {
    expect(split(["ab", "c\r", "\nde\n\n", "f"])).toEqual([
      ["abc", false],
      ["de", false],
      ["", false],
      ["f", false],
    ]);
  });

  it("keeps a UTF-8 character split between chunks whole", () => {
    const bytes = Buffer.from("héllo ✓\n");
    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 8), bytes.subarray(8)])).toEqual([["héllo ✓", false]]);
  });

  it("cuts a long line at the limit and says so, without holding the rest", () => {
    expect(split(["x".repeat(30), "y".repeat(30), "\nnext\n"], 40)).toEqual([
      ["x".repeat(30) + "y".repeat(10), true],
      ["next", false],
    ]);
  });
});
