import { TowerLineSchema, type SuiteUpdate } from "@tower/shared";
import { relativeFile, testUpdate } from "./text";
import type { ParserOptions, ResultParser } from "./types";

/** Malformed protocol lines reported before the rest are passed over quietly. */
const MAX_PROBLEMS = 5;

/**
 * Tower's live line protocol: a stdout line that is a JSON object with a `tower` key is a message
 * (`begin`, `total`, `test`; shared/src/suite.ts `TowerLineSchema`); every other line is ordinary
 * output. The shipped reporters (suites/reporters/) print it for Playwright, Vitest and node:test.
 */
export function towerJsonlParser(options: ParserOptions = {}): ResultParser {
  let problems = 0;
  let message = false;

  function problem(message: string): SuiteUpdate[] {
    problems++;
    return problems <= MAX_PROBLEMS ? [{ kind: "problem", message }] : [];
  }

  return {
    line(line) {
      message = false;
      const text = line.trim();
      // Cheap test first: most lines are the runner's own output.
      if (!text.startsWith("{") || !text.includes('"tower"')) return [];
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return []; // JSON-looking output that is not JSON is output, not a message
      }
      if (!value || typeof value !== "object" || !("tower" in value)) return [];
      const parsed = TowerLineSchema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        return problem(`A tower-jsonl line was not understood: ${issue.path.join(".") || "line"}: ${issue.message}`);
      }
      message = true;
      const data = parsed.data;
      switch (data.tower) {
        case "begin":
          return data.total === undefined ? [] : [{ kind: "total", total: data.total }];
        case "total":
          return [{ kind: "total", total: data.total }];
        case "test":
          return [
            testUpdate({
              name: data.name,
              file: relativeFile(data.file, options.cwd),
              status: data.status,
              durationMs: data.durationMs,
              message: data.message,
            }),
          ];
      }
    },
    lastWasMessage: () => message,
    end() {
      return [];
    },
  };
}
