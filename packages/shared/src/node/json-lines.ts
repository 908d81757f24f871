import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/** One non-blank line of a JSON-lines file, numbered from 1: its value, or that it is not JSON. */
export type JsonLine = { line: number; ok: true; value: unknown } | { line: number; ok: false };

/** Streams a JSON-lines file (signed heads, chain exports) without holding it in memory. */
export async function* readJsonLines(file: string): AsyncGenerator<JsonLine> {
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    line++;
    if (!text.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line, ok: false };
      continue;
    }
    yield { line, ok: true, value };
  }
}
