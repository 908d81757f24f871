import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { MAX_DOCUMENT_CHARS } from "./results/stdout-document";

/** When the results file was last written, or null when there is none. */
export async function resultsFileStamp(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return null;
  }
}

export type ResultsFileRead = { text: string } | { problem: string };

/**
 * The suite's results file after a run. A file that is missing, or not rewritten since `before`
 * (left from an earlier run), is a problem to report, not an error to throw.
 */
export async function readResultsFile(cwd: string, file: string, before: number | null): Promise<ResultsFileRead> {
  const path = resolve(cwd, file);
  const stamp = await resultsFileStamp(path);
  if (stamp === null) return { problem: `The results file ${path} was not written` };
  if (before !== null && stamp === before) {
    return { problem: `The results file ${path} was not rewritten by this run (it is from an earlier one)` };
  }
  try {
    const info = await stat(path);
    if (info.size > MAX_DOCUMENT_CHARS) {
      return { problem: `The results file ${path} is larger than ${MAX_DOCUMENT_CHARS / 1024 / 1024} MiB` };
    }
    return { text: await readFile(path, "utf8") };
  } catch (error) {
    return { problem: `The results file ${path} cannot be read: ${(error as Error).message}` };
  }
}

export const resultsFilePath = (cwd: string, file: string) => resolve(cwd, file);
