import type { SuiteFormat } from "@tower/shared";
import { junitParser } from "./junit";
import { nodeTapParser } from "./node-tap";
import { playwrightJsonParser } from "./playwright-json";
import { towerJsonlParser } from "./tower-jsonl";
import type { ParserOptions, ResultParser } from "./types";
import { vitestJsonParser } from "./vitest-json";

const PARSERS: Record<SuiteFormat, (options: ParserOptions) => ResultParser> = {
  junit: junitParser,
  "vitest-json": vitestJsonParser,
  "playwright-json": playwrightJsonParser,
  "node-tap": nodeTapParser,
  "tower-jsonl": towerJsonlParser,
};

/** A fresh parser for one run of a suite in `format`. */
export function createResultParser(format: SuiteFormat, options: ParserOptions = {}): ResultParser {
  return PARSERS[format](options);
}
