import type { AgentImportReport, ImportFileReport } from "@tower/shared";
import { IMPORT_OUTCOMES } from "@tower/shared/domain";

export function emptyTotals(): AgentImportReport["totals"] {
  return Object.fromEntries(IMPORT_OUTCOMES.map((o) => [o, 0])) as AgentImportReport["totals"];
}

/** Adds one call's report (or per-file errors) to the running report. */
export function mergeReport(into: AgentImportReport, files: ImportFileReport[]): AgentImportReport {
  const totals = { ...into.totals };
  for (const file of files) for (const agent of file.agents) totals[agent.outcome] += 1;
  return { files: [...into.files, ...files], totals };
}
