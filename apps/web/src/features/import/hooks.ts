"use client";
import type { AgentImportReport, IdentityFile, ImportFileReport } from "@tower/shared";
import { useCallback, useRef, useState } from "react";
import { errorMessage } from "~/lib/errors";
import { trpc } from "~/lib/trpc";
import { chunkIdentityFiles, IDENTITY_FILE_PATTERN, MAX_IDENTITY_FILE_CHARS } from "@tower/shared/domain";
import { emptyTotals, mergeReport } from "./report";

export interface ImportState {
  phase: "idle" | "reading" | "importing" | "done" | "cancelled";
  /** Files handled so far (sent and answered, or refused before sending). */
  done: number;
  total: number;
  report: AgentImportReport;
}

const IDLE: ImportState = { phase: "idle", done: 0, total: 0, report: { files: [], totals: emptyTotals() } };

/** The path inside a chosen folder, else the file name. */
export function displayName(file: File): string {
  return (file.webkitRelativePath || file.name).slice(-255);
}

/**
 * Reads the chosen files, sends them in sequential chunks to `agent.import`, and merges the reports.
 * Files the server would refuse outright (too big, wrong type) are reported here without a call;
 * a failed call marks its files with the error and the import goes on with the next chunk.
 */
export function useImportAgents(projectId: string) {
  const utils = trpc.useUtils();
  const mutation = trpc.agent.import.useMutation();
  const [state, setState] = useState<ImportState>(IDLE);
  const cancelled = useRef(false);

  const start = useCallback(
    async (chosen: File[]) => {
      cancelled.current = false;
      const total = chosen.length;
      let report: AgentImportReport = { files: [], totals: emptyTotals() };
      let done = 0;
      setState({ phase: "reading", done, total, report });

      const readable: IdentityFile[] = [];
      const refused: ImportFileReport[] = [];
      for (const file of chosen) {
        const name = displayName(file);
        if (!IDENTITY_FILE_PATTERN.test(file.name)) {
          refused.push({ file: name, agents: [], error: "Not a .yaml, .yml or .json file" });
          continue;
        }
        try {
          const content = await file.text();
          if (content.length > MAX_IDENTITY_FILE_CHARS)
            refused.push({ file: name, agents: [], error: "Identity files must be at most 256 KiB" });
          else readable.push({ name, content });
        } catch (error) {
          refused.push({ file: name, agents: [], error: `Could not read the file: ${errorMessage(error)}` });
        }
      }
      if (refused.length > 0) {
        report = mergeReport(report, refused);
        done += refused.length;
      }
      setState({ phase: "importing", done, total, report });

      for (const chunk of chunkIdentityFiles(readable)) {
        if (cancelled.current) break;
        let files: ImportFileReport[];
        try {
          const result = await mutation.mutateAsync({ projectId, files: chunk });
          files = result.files;
        } catch (error) {
          files = chunk.map((f) => ({ file: f.name, agents: [], error: errorMessage(error) }));
        }
        report = mergeReport(report, files);
        done += chunk.length;
        setState({ phase: "importing", done, total, report });
      }

      setState({ phase: cancelled.current ? "cancelled" : "done", done, total, report });
      void utils.agent.list.invalidate({ projectId });
      void utils.agent.summary.invalidate({ projectId });
    },
    [mutation, projectId, utils],
  );

  const cancel = useCallback(() => {
    cancelled.current = true;
  }, []);
  const reset = useCallback(() => setState(IDLE), []);

  return { state, start, cancel, reset };
}
