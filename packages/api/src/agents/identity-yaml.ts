import { describeInputProblem, findInputProblem, LIMITS } from "@tower/shared";
import { CST, Lexer, parseDocument, visit } from "yaml";

/**
 * Copies of anchored data the aliases may expand to (the parser's `maxAliasCount`, which multiplies
 * through nested aliases): generous for the capped number of aliases, far below a billion laughs.
 */
const MAX_ALIAS_COPIES = 1_000;
const TOO_DEEP = `The file is nested too deeply to read (at most ${LIMITS.inputDepth} levels)`;
const tooDeep = (message: string) => /Maximum call stack/.test(message);

/** The parser's own failures for these, said in words: a stack overflow, or aliases expanding too far. */
function inWords<T>(read: () => T): T {
  try {
    return read();
  } catch (failure) {
    if (failure instanceof Error && tooDeep(failure.message)) throw new Error(TOO_DEEP);
    if (failure instanceof Error && /Excessive alias count/.test(failure.message)) {
      throw new Error(
        `The file's aliases expand to too much data (at most ${MAX_ALIAS_COPIES.toLocaleString("en-US")} copies)`,
      );
    }
    throw failure;
  }
}

/**
 * Refuses, before the parser builds anything, a file with more anchors (`&name`) than a file may
 * have aliases, or with flow collections (`[`, `{`) nested deeper than any input may be. The parser
 * spends time growing faster than the file on both (250 KB of anchors held the event loop for 4 s,
 * of anchor/alias pairs for 8 s, 125,000 `[` for 3 s); its lexer reads each token once, and stops
 * here at the first one past a limit.
 */
function refuseCostlyShapes(content: string): void {
  let anchors = 0;
  let depth = 0;
  for (const token of new Lexer().lex(content)) {
    const type = CST.tokenType(token);
    if (type === "anchor" && ++anchors > LIMITS.yamlAliases) {
      throw new Error(
        `The file has more than ${LIMITS.yamlAliases} YAML anchors (&name); write the values out instead`,
      );
    }
    if (type === "flow-map-start" || type === "flow-seq-start") {
      if (++depth > LIMITS.inputDepth) throw new Error(TOO_DEEP);
    } else if (type === "flow-map-end" || type === "flow-seq-end") {
      depth--;
    }
  }
}

/** The parser's messages that speak to its API rather than to the file's author, in words for them. */
function inOurWords(message: string): string {
  if (message.startsWith("Source contains multiple documents")) {
    return "The file holds more than one YAML document (a --- line after the first): one file describes one agent or one list of agents";
  }
  return message;
}

/**
 * Reads one YAML identity file as plain data, or throws an error whose message is the file's
 * report. Guarded against files made to hurt the server rather than describe agents:
 * - aliases: the parser resolves each `*alias` by walking the whole document, and `maxAliasCount`
 *   limits only how often one anchor is used, so 20,000 distinct anchor/alias pairs (600 KB) held
 *   the event loop for 11 s. The file's aliases are counted before anything is resolved.
 * - unknown tags (`!thing`): the parser's default is one process warning per tag, so a file with
 *   10,000 of them wrote 10,000 log lines. Warnings are kept off the log (`logLevel: "error"`) and
 *   an unresolved tag rejects the file once, naming the first: its value would be read as something
 *   the author did not mean.
 * - depth: the parser recurses, and reports a stack overflow as a parse error.
 * - many anchors, deep flow collections: see `refuseCostlyShapes`.
 */
export function readYaml(content: string): unknown {
  refuseCostlyShapes(content);
  const doc = inWords(() => parseDocument(content, { logLevel: "error" }));
  const [error] = doc.errors;
  if (error) throw new Error(tooDeep(error.message) ? TOO_DEEP : inOurWords(error.message));
  const unknownTags = doc.warnings.filter((warning) => warning.code === "TAG_RESOLVE_FAILED");
  if (unknownTags.length > 0) {
    const first = /Unresolved tag: (\S+)/.exec(unknownTags[0]!.message)?.[1] ?? "?";
    const more = unknownTags.length > 1 ? ` and ${(unknownTags.length - 1).toLocaleString("en-US")} more` : "";
    throw new Error(`The file uses YAML tags Tower does not know (${first}${more}); write plain values instead`);
  }
  let aliases = 0;
  visit(doc, {
    Alias() {
      aliases++;
      return aliases > LIMITS.yamlAliases ? visit.BREAK : undefined;
    },
  });
  if (aliases > LIMITS.yamlAliases) {
    throw new Error(`The file uses more than ${LIMITS.yamlAliases} YAML aliases (*name); write the values out instead`);
  }
  const value: unknown = inWords(() => doc.toJS({ maxAliasCount: MAX_ALIAS_COPIES }));
  // As for any input: a double-quoted "\ud800" is a lone surrogate, which SQLite would store as U+FFFD.
  const problem = findInputProblem(value);
  if (problem) throw new Error(describeInputProblem(problem));
  return value;
}
