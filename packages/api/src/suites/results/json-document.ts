import type { StdoutDocument } from "./stdout-document";

/**
 * A JSON report from `resultsFile`, or from stdout (the report is the text from the first line that
 * starts with `{` to the last that ends with `}`). Returns the parsed value or a problem to report.
 */
export function readJsonReport(
  label: string,
  stdout: StdoutDocument,
  resultsFileText: string | undefined,
): { report: unknown } | { problem: string } {
  let text = resultsFileText;
  if (text === undefined) {
    if (stdout.overflowed) return { problem: `${label}: ${stdout.tooLarge}` };
    text =
      stdout.slice(
        (line) => line.startsWith("{"),
        (line) => line.trimEnd().endsWith("}"),
      ) ?? undefined;
    if (text === undefined) return { problem: `No ${label} report was printed on stdout` };
  }
  try {
    return { report: JSON.parse(text) as unknown };
  } catch (error) {
    return { problem: `The ${label} report is not valid JSON: ${(error as Error).message}` };
  }
}
