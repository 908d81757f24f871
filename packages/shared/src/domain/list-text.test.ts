import { describe, expect, it } from "vitest";
import { splitListText } from "./list-text";

describe("a list typed in one box", () => {
  it("splits on commas and new lines and drops blanks", () => {
    expect(splitListText("Read, Write,\n Bash ,,\n\n")).toEqual(["Read", "Write", "Bash"]);
    expect(splitListText("  ")).toEqual([]);
  });

  it("keeps a comma inside a glob's braces or brackets, or after a backslash, in its item", () => {
    expect(splitListText("data/*.{csv,json}, src/**")).toEqual(["data/*.{csv,json}", "src/**"]);
    expect(splitListText("secrets/{a,b}/**\nlogs/[a,b]*.txt")).toEqual(["secrets/{a,b}/**", "logs/[a,b]*.txt"]);
    expect(splitListText("a/{x,{y,z}}/*, b")).toEqual(["a/{x,{y,z}}/*", "b"]);
    expect(splitListText(String.raw`odd\,name, other`)).toEqual([String.raw`odd\,name`, "other"]);
  });

  it("reads back what was shown joined with a comma and a space", () => {
    const scopes = ["data/*.{csv,json}", "src/**", "docs/[ab]*.md"];
    expect(splitListText(scopes.join(", "))).toEqual(scopes);
  });

  it("ends an unclosed brace at the end of its line, for the glob check to name it", () => {
    expect(splitListText("data/*.{csv\nsrc/**")).toEqual(["data/*.{csv", "src/**"]);
  });
});
