/** Names of files the importer reads. */
export const IDENTITY_FILE_PATTERN = /\.(ya?ml|json)$/i;
export const MAX_IDENTITY_FILE_CHARS = 262_144;

/** One uploaded identity file: YAML or JSON, one agent, a list, or `{ agents: [...] }`. */
// A type alias like the `z.infer` type it stands for (an interface would not fit index signatures).
export type IdentityFile = { name: string; content: string };

export const IMPORT_FILES_PER_CALL = 50;

export const IMPORT_OUTCOMES = ["created", "updated", "unchanged", "rejected"] as const;
export type ImportOutcome = (typeof IMPORT_OUTCOMES)[number];

export interface ImportFileReport {
  file: string;
  agents: { name: string; outcome: ImportOutcome; reason?: string }[];
  /** Set when the file itself could not be read (bad YAML or JSON, wrong shape). */
  error?: string;
}

export interface AgentImportReport {
  files: ImportFileReport[];
  totals: Record<ImportOutcome, number>;
}

const encoder = new TextEncoder();

/**
 * Splits files into calls that stay under the per-call file count and a request-size budget
 * (measured as the files' UTF-8 JSON, well under the server's 1 MiB body limit). A file larger
 * than the budget still gets a call of its own.
 */
export function chunkIdentityFiles<T extends IdentityFile>(
  files: T[],
  { maxFiles = 20, maxBytes = 700_000 }: { maxFiles?: number; maxBytes?: number } = {},
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const file of files) {
    const size = encoder.encode(JSON.stringify(file)).length;
    if (current.length > 0 && (current.length >= maxFiles || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Adds one call's report to a running total. */
export function mergeImportReports(into: AgentImportReport, next: AgentImportReport): AgentImportReport {
  const totals = { ...into.totals };
  for (const outcome of IMPORT_OUTCOMES) totals[outcome] += next.totals[outcome];
  return { files: [...into.files, ...next.files], totals };
}

export const emptyImportReport = (): AgentImportReport => ({
  files: [],
  totals: { created: 0, updated: 0, unchanged: 0, rejected: 0 },
});
