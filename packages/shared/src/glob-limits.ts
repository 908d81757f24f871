// Limits on what a glob (path scope, tool pattern, rule path) may hold, so that no accepted pattern
// can make picomatch hang. Policy checks run on every agent action and match globs against values the
// agent chooses (a tool name up to 200 characters, a path up to 4 KB), so the worst case counts, not
// the usual one. Measured with picomatch 4.0.7 on Node 20:
//
// - Each unbounded wildcard (`*`, `**`, and the `*(…)`, `+(…)`, `!(…)` extglobs, which compile to
//   `*`-like loops) multiplies the worst-case matching time by the length of the value: `*a*b` takes
//   ~5 ms on a 4 KB value, `**/a/**/a/**/b` 7 s, `*a*a*a*a*b` 20 s on a 200-character tool name.
//   So at most two per pattern: `**/*.{ts,tsx}`, `test/**/*.spec.ts` and `!(node_modules)/**`
//   use two. Worst case then grows with the square of the value's length (~5 ms at 4 KB, ~0.1 ms
//   for a 200-character tool), and realistic patterns stay far below it.
// - A repeated extglob (`*(…)`, `+(…)`) around anything that can match in more than one way is
//   exponential: `+(a*(a))b`, `*(a*)b`, `+(ab|abab)c` and `+({a,aa})b` each hang on ~30 characters.
//   (picomatch turns some of these into literal text on its own, silently; others it compiles.) So
//   extglobs do not nest, and a repeated one holds only plain text, `?` and `[classes]`.
// - Alternatives multiply the time when they can match the same text: `@(a|aa)` sixteen times takes
//   25 ms on 25 characters; 64 of them between two wildcards ~240 ms on 4 KB. So a pattern expands
//   (braces, `@(…)`, `?(…)`, groups) to at most 32 alternatives (`{src,lib,test}/**/*.{ts,tsx,js,jsx}`
//   is 12), with braces and groups at most two deep.
// - picomatch's parser loops forever (before any regex exists) on a pattern that needs its full parser
//   and ends in four or more backslashes, such as `src/` and four backslashes. So at most two in a row.
// - A `|` outside parentheses (at the top or directly in braces) is read by picomatch as "or" between
//   everything before and after it when the pattern needs its full parser (`src/a|b` matches "b",
//   `x{a|b}y` matches "x{a") and as the character otherwise (`Bash|Read`), so it is refused:
//   `@(a|b)`, `{a,b}` or `\|` say which is meant.
// - picomatch does not expand brace ranges: `{1..100000}` becomes the one-character class
//   `[1-100000]` (cheap, but it matches "1" or "0", not the numbers). A range must be between two
//   single characters (`{a..f}`, `{0..9}`), which is what picomatch matches.
//
// Checked before picomatch ever sees the pattern, so validation itself cannot hang. A check of the
// compiled regex for nested quantifiers is left out on purpose: picomatch's own `**` compiles to
// `(?:(?!…\.{1,2}…).)*?` (a quantifier inside a loop, harmless there), so a textual check would
// refuse `src/**` or need a regex parser to tell the two apart.
export const GLOB_LIMITS = {
  /** Characters. Path scopes and rule paths already stop at 512, tool patterns at 200. */
  length: 512,
  /** `*`, `**`, `*(…)`, `+(…)` and `!(…)` in the whole pattern. */
  wildcards: 2,
  /** Braces `{…}` and groups `(…)` inside each other. */
  groupDepth: 2,
  /** Alternatives the pattern expands to (`{a,b}/{c,d}` is 4). */
  alternatives: 32,
} as const;

const EXTGLOB_OPS = "*+@!?";

interface Frame {
  /** `{` braces, `(` a plain group, or the extglob's operator. */
  kind: "{" | "(" | "*" | "+" | "@" | "!" | "?";
  start: number;
  /** Alternatives in the branches already closed by `,` or `|`. */
  sum: number;
  /** Alternatives in the current branch (a product of the groups in it). */
  current: number;
  separators: number;
}

const CAP = 1_000_000;
const isRepeat = (frame: Frame) => frame.kind === "*" || frame.kind === "+";
const isExtglob = (frame: Frame) => frame.kind !== "{" && frame.kind !== "(";

/**
 * Why picomatch must not be given `pattern` (it could match slowly, hang, or read it other than it
 * looks), or null when it is within {@link GLOB_LIMITS}. Pure and linear in the pattern's length.
 * Whether picomatch can parse it at all is the caller's check, made after this one.
 */
export function globComplexityProblem(pattern: string): string | null {
  if (pattern.length > GLOB_LIMITS.length) {
    return `"${pattern.slice(0, 40)}…" is ${pattern.length} characters; a glob may have at most ${GLOB_LIMITS.length}`;
  }
  if (/\\{3}/.test(pattern)) {
    return `"${pattern}" has three or more backslashes in a row; use at most two ("\\\\" matches one backslash)`;
  }
  const root: Frame = { kind: "(", start: -1, sum: 0, current: 1, separators: 0 };
  const stack: Frame[] = [root];
  let wildcards = 0;
  let depth = 0;
  // The first problem of each kind; the most telling kind is reported (nesting before what it holds).
  let nested: string | null = null;
  let tooDeep: string | null = null;
  let repeated: string | null = null;
  let range: string | null = null;
  let bar: string | null = null;
  const top = () => stack[stack.length - 1]!;
  const repeatAround = () => stack.find(isRepeat);
  const insideRepeat = (what: string) => {
    const frame = repeatAround();
    repeated ??= frame
      ? `"${pattern}" has ${what} inside ${frame.kind}(…); a repeated extglob may hold only text, ? and [classes]`
      : null;
  };

  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "\\") {
      i++; // the next character is literal
      continue;
    }
    if (char === "[") {
      // A class matches one character: skip to its end. Unclosed, picomatch refuses it later.
      const close = findClosingBracket(pattern, i);
      if (close !== -1) i = close;
      continue;
    }
    if (EXTGLOB_OPS.includes(char) && pattern[i + 1] === "(") {
      const outer = stack.find(isExtglob);
      if (outer)
        nested ??= `"${pattern}" nests extglobs (${char}(…) inside ${outer.kind}(…)); at most one level is allowed`;
      insideRepeat("a group");
      if (char === "*" || char === "+" || char === "!") wildcards++;
      stack.push({ kind: char as Frame["kind"], start: i, sum: 0, current: 1, separators: 0 });
      i++;
      continue;
    }
    if (char === "*") {
      insideRepeat("a wildcard");
      while (pattern[i + 1] === "*" && pattern[i + 2] !== "(") i++; // `**` is one wildcard
      wildcards++;
      continue;
    }
    if (char === "{" || char === "(") {
      insideRepeat("a group");
      depth++;
      if (depth > GLOB_LIMITS.groupDepth) {
        tooDeep ??= `"${pattern}" nests braces or groups ${depth} deep; at most ${GLOB_LIMITS.groupDepth} levels are allowed`;
      }
      stack.push({ kind: char, start: i, sum: 0, current: 1, separators: 0 });
      continue;
    }
    const frame = top();
    if (char === "|" && (frame === root || frame.kind === "{")) {
      bar ??= `"${pattern}" has a "|" outside (…); picomatch reads it as "or" in some patterns and as the character in others: write @(a|b) or {a,b} for either, or \\| for the character`;
      continue;
    }
    if ((char === "," && frame.kind === "{") || char === "|") {
      if (isRepeat(frame)) {
        repeated ??= `"${pattern}" has alternatives inside ${frame.kind}(…); a repeated extglob may hold only text, ? and [classes] (${frame.kind}([ab]) repeats one of several characters)`;
      }
      frame.sum = Math.min(CAP, frame.sum + frame.current);
      frame.current = 1;
      frame.separators++;
      continue;
    }
    const closes = (char === "}" && frame.kind === "{") || (char === ")" && frame.kind !== "{" && frame !== root);
    if (!closes) continue;
    stack.pop();
    if (!isExtglob(frame)) depth--;
    if (frame.kind === "{" && frame.separators === 0)
      range ??= rangeProblem(pattern, pattern.slice(frame.start + 1, i));
    // `?(…)` may also match nothing: one more alternative.
    const alternatives = frame.sum + frame.current + (frame.kind === "?" ? 1 : 0);
    const parent = top();
    parent.current = Math.min(CAP, parent.current * alternatives);
  }

  const problem = nested ?? tooDeep ?? repeated ?? range ?? bar;
  if (problem) return problem;
  // Groups left open are picomatch's to refuse (strictBrackets); count what was seen.
  const total = stack.reduceRight((inner, frame) => Math.min(CAP, frame.current * inner), 1);
  if (total > GLOB_LIMITS.alternatives) {
    return `"${pattern}" expands to ${total >= CAP ? "over a million" : total} alternatives; at most ${GLOB_LIMITS.alternatives} are allowed`;
  }
  if (wildcards > GLOB_LIMITS.wildcards) {
    return `"${pattern}" has ${wildcards} wildcards (*, **, *(…), +(…), !(…)); at most ${GLOB_LIMITS.wildcards} are allowed, as each one multiplies the time a match can take`;
  }
  return null;
}

/** A brace with no comma: `{a..f}` is a range when it has `..`; otherwise picomatch reads it literally. */
function rangeProblem(pattern: string, body: string): string | null {
  if (!body.includes("..")) return null;
  const ends = body.split("..");
  if (ends.length === 2 && ends.every((end) => [...end].length === 1)) return null;
  return `"${pattern}" has the brace range {${body}}; picomatch matches a range as one character, so a range must be between two single characters ({a..f}, {0..9}); list longer values instead ({10,11,12})`;
}

/** The index of the `]` closing the class opened at `open`, or -1. A `]` right after `[` or `[!`/`[^` is literal. */
function findClosingBracket(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === "!" || pattern[i] === "^") i++;
  if (pattern[i] === "]") i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === "\\") i++;
    else if (pattern[i] === "]") return i;
  }
  return -1;
}

/**
 * Why picomatch could not read `pattern`, as a person types globs (in a form or YAML): picomatch's
 * messages are written for JavaScript strings (`use "\\]"`), where one backslash is written twice.
 */
export function invalidGlobMessage(pattern: string, error: unknown): string {
  const reason = (error instanceof Error ? error.message : String(error)).replaceAll("\\\\", "\\");
  return `"${pattern}" is not a valid glob: ${reason}`;
}
