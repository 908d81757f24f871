import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { PathScopeSchema } from "./agent";
import { GLOB_LIMITS, globComplexityProblem } from "./glob-limits";
import { PATH_SCOPE_GLOB_OPTIONS } from "./path-scope";
import { PolicyMatchSchema, ToolPatternSchema } from "./policy";

const REALISTIC = [
  "src/**",
  "**/*.{ts,tsx}",
  "mcp__github__*",
  "web.*",
  "docs/*.md",
  "!(node_modules)/**",
  "test/**/*.spec.ts",
  "*.{ts,tsx,js,jsx,mjs,cjs}",
  "{src,lib,test}/**/*.{ts,tsx,js,jsx}",
  "**/node_modules/**",
  "data/[a-z]*.csv",
  "logs/{2024,2025}-{0..9}?.log",
  "@(src|lib)/**",
  "src/?(index).ts",
  "+([0-9]).txt",
  "a\\*b",
  "a\\|b",
  "mcp__*__create_issue",
  "Bash",
];

const messageOf = (result: { error?: { issues: { message: string }[] } }) =>
  result.error?.issues.map((issue) => issue.message);

describe("globComplexityProblem", () => {
  it.each(REALISTIC)("accepts the realistic pattern %j", (pattern) => {
    expect(globComplexityProblem(pattern)).toBeNull();
  });

  // Each refused shape with its message, which names the pattern and the rule.
  it.each([
    ["+(a|*(b))", '"+(a|*(b))" nests extglobs (*(…) inside +(…)); at most one level is allowed'],
    ["@(a|!(b))", '"@(a|!(b))" nests extglobs (!(…) inside @(…)); at most one level is allowed'],
    ["{a,{b,{c,d}}}", '"{a,{b,{c,d}}}" nests braces or groups 3 deep; at most 2 levels are allowed'],
    ["(a|{b,(c|d)})", '"(a|{b,(c|d)})" nests braces or groups 3 deep; at most 2 levels are allowed'],
    ["*(a*)b", '"*(a*)b" has a wildcard inside *(…); a repeated extglob may hold only text, ? and [classes]'],
    ["x+({a,aa})b", '"x+({a,aa})b" has a group inside +(…); a repeated extglob may hold only text, ? and [classes]'],
    ["+(ab|abab)c", /^"\+\(ab\|abab\)c" has alternatives inside \+\(…\); a repeated extglob may hold only/],
    [
      "{1..100000}",
      /^"\{1\.\.100000\}" has the brace range \{1\.\.100000\}; picomatch matches a range as one character/,
    ],
    ["{a..e..2}", /has the brace range \{a\.\.e\.\.2\}/],
    ["*a*a*b", /^"\*a\*a\*b" has 3 wildcards \(\*, \*\*, \*\(…\), \+\(…\), !\(…\)\); at most 2 are allowed/],
    ["**/a/**/a/**/b", /^"\*\*\/a\/\*\*\/a\/\*\*\/b" has 3 wildcards/],
    ["!(x)/*/**", /has 3 wildcards/],
    ["{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}", /^"\{a,b\}.*" expands to 64 alternatives; at most 32 are allowed$/],
    ["@(a|aa)@(a|aa)@(a|aa)@(a|aa)@(a|aa)@(a|aa)", /expands to 64 alternatives/],
    ["?(a|b)?(a|b)?(a|b)?(a|b)", /expands to 81 alternatives/],
    ["src/a|b", /^"src\/a\|b" has a "\|" outside \(…\); picomatch reads it as "or" in some patterns/],
    ["Bash|Read", /has a "\|" outside/],
    ["x{a|b}y", /has a "\|" outside/],
    ["src/\\\\\\\\", /^"src\/\\\\\\\\" has three or more backslashes in a row; use at most two/],
  ])("refuses %j", (pattern, message) => {
    if (typeof message === "string") expect(globComplexityProblem(pattern)).toBe(message);
    else expect(globComplexityProblem(pattern)).toMatch(message);
  });

  it("refuses a pattern longer than the limit, quoting its start", () => {
    expect(globComplexityProblem("x".repeat(GLOB_LIMITS.length))).toBeNull();
    expect(globComplexityProblem("x".repeat(GLOB_LIMITS.length + 1))).toBe(
      `"${"x".repeat(40)}…" is 513 characters; a glob may have at most 512`,
    );
  });

  it("counts `**` as one wildcard and reads escaped and bracketed characters literally", () => {
    expect(globComplexityProblem("**/**")).toBeNull();
    expect(globComplexityProblem("\\*\\*\\*a*b*")).toBeNull();
    expect(globComplexityProblem("\\*\\*\\*a*b*c*")).toMatch(/has 3 wildcards/);
    expect(globComplexityProblem("[*][*][*]a*b")).toBeNull();
    expect(globComplexityProblem("[{][{][{]a")).toBeNull();
    expect(globComplexityProblem("\\{\\{\\{a\\}\\}\\}")).toBeNull();
  });
});

describe("the schemas that take a glob refuse what the limits refuse", () => {
  it("path scopes, before picomatch sees them (it would loop forever on this one)", () => {
    const result = PathScopeSchema.safeParse("src/\\\\\\\\");
    expect(messageOf(result)).toEqual([expect.stringMatching(/three or more backslashes in a row/)]);
  });

  it("tool patterns, with one issue naming the pattern and the rule", () => {
    expect(messageOf(ToolPatternSchema.safeParse("+(a|*(b))"))).toEqual([
      '"+(a|*(b))" nests extglobs (*(…) inside +(…)); at most one level is allowed',
    ]);
    expect(ToolPatternSchema.safeParse("mcp__github__*").success).toBe(true);
  });

  it("a rule's tools and paths", () => {
    const result = PolicyMatchSchema.safeParse({ tools: ["Bash", "*a*a*b"], paths: ["src/**", "**/a/**/b/**"] });
    expect(result.error?.issues.map((issue) => [issue.path.join("."), issue.message])).toEqual([
      ["tools.1", expect.stringMatching(/^"\*a\*a\*b" has 3 wildcards/)],
      ["paths.1", expect.stringMatching(/^"\*\*\/a\/\*\*\/b\/\*\*" has 3 wildcards/)],
    ]);
    expect(
      PolicyMatchSchema.safeParse({ tools: ["mcp__*"], paths: REALISTIC.filter((p) => !p.startsWith("!")) }).success,
    ).toBe(true);
  });
});

// Random patterns from the characters that make globs costly. Any one the schemas accept must match
// quickly even against values built to make a backtracking regex work hard. No time is asserted: a
// pattern that backtracks catastrophically would hold this test past Vitest's timeout (20 s).
const UNITS = [..."{},()|*?+@![]/.", "a", "b", "a", "b", "x"];
/** Well-formed nestings are rare among random characters, so most patterns are built as a tree. */
const { pattern: nestedPattern } = fc.letrec<{ pattern: string; atom: string }>((tie) => ({
  pattern: fc.array(tie("atom"), { minLength: 1, maxLength: 4 }).map((atoms) => atoms.join("")),
  atom: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom("a", "aa", "b", "*", "**", "?", "[ab]", "/", ".", "a*"),
    fc
      .tuple(
        fc.constantFrom("+(", "*(", "@(", "!(", "?(", "("),
        fc.array(tie("pattern"), { minLength: 1, maxLength: 3 }),
      )
      .map(([open, branches]) => `${open}${branches.join("|")})`),
    fc.array(tie("pattern"), { minLength: 2, maxLength: 3 }).map((branches) => `{${branches.join(",")}}`),
  ),
}));
const patternArb = fc.oneof(
  { arbitrary: fc.string({ unit: fc.constantFrom(...UNITS), minLength: 1, maxLength: 24 }), weight: 1 },
  { arbitrary: nestedPattern.filter((pattern) => pattern.length <= 40), weight: 3 },
);
const accepted = (pattern: string) =>
  PathScopeSchema.safeParse(pattern).success || ToolPatternSchema.safeParse(pattern).success;
const ADVERSARIAL = [
  `${"a".repeat(40)}!`,
  `${"ab".repeat(20)}!`,
  `${"a/".repeat(40)}!`,
  `${"a.".repeat(20)}!`,
  `${"a,".repeat(20)}!`,
  `${"aa/".repeat(20)}b`,
  `${"a".repeat(400)}!`,
  `${"a/".repeat(400)}!`,
];

describe("accepted globs match quickly", () => {
  it("random patterns the schemas accept compile and match adversarial values without hanging", () => {
    fc.assert(
      fc.property(patternArb.filter(accepted), (pattern) => {
        const matches = picomatch(pattern, PATH_SCOPE_GLOB_OPTIONS);
        for (const value of ADVERSARIAL) expect(typeof matches(value)).toBe("boolean");
      }),
      { numRuns: 300 },
    );
  });

  it("the random patterns do reach the costly shapes: braces, extglobs and two wildcards get through", () => {
    const sample = fc.sample(patternArb.filter(accepted), { numRuns: 300, seed: 42 });
    expect(sample.some((pattern) => /[*+@!?]\(/.test(pattern))).toBe(true);
    expect(sample.some((pattern) => pattern.includes("{") && pattern.includes(","))).toBe(true);
    expect(sample.some((pattern) => (pattern.match(/\*+/g) ?? []).length === 2)).toBe(true);
    // And some are refused for their cost, not only for being malformed.
    const refused = fc.sample(patternArb, { numRuns: 300, seed: 42 }).filter((p) => globComplexityProblem(p) !== null);
    expect(refused.length).toBeGreaterThan(0);
  });
});

describe("a glob picomatch cannot read", () => {
  it("is explained as a person types it: the backslash to add is one, not JavaScript's two", () => {
    const tool = ToolPatternSchema.safeParse("shell.[exec");
    const scope = PathScopeSchema.safeParse("src/[a");
    for (const result of [tool, scope]) {
      expect(result.success).toBe(false);
      const message = result.error!.issues[0]!.message;
      expect(message).toMatch(/is not a valid glob: Missing closing: "\]" - use "\\\]" to match literal characters$/);
      expect(message).not.toContain("\\\\");
    }
  });
});
