import { lstatSync, statSync } from "node:fs";
import path from "node:path";
import {
  chunkIdentityFiles,
  emptyImportReport,
  mergeImportReports,
  type AgentImportReport,
  type IdentityFile,
} from "@tower/shared";
import { readIdentityFile, scanIdentityFolder, type SkippedIdentityFile } from "@tower/shared/node";
import type { TowerClient } from "../client";
import { CliError } from "./cli-error";
import { progressLine } from "./progress-line";
import { cliEnv } from "./env";

/** How long one upload call may wait for Tower's answer, unless `--timeout` says otherwise. */
export const DEFAULT_IMPORT_TIMEOUT_SECONDS = 60;

export interface ImportOptions {
  /** Tower's base URL, for the messages. */
  url: string;
  /** Each upload call gives up after this long. */
  timeoutSeconds: number;
}

/** The files to upload and the entries skipped (symbolic links, special files, oversized or unreadable files). */
function readTargets(paths: string[]): { files: IdentityFile[]; skipped: SkippedIdentityFile[] } {
  const files: IdentityFile[] = [];
  const skipped: SkippedIdentityFile[] = [];
  for (const target of paths) {
    if (!lstatSync(target, { throwIfNoEntry: false })) throw new CliError(`No such file or folder: ${target}`);
    // A folder named on the command line, even through a link, is read: the user named it.
    let isDirectory = false;
    try {
      isDirectory = statSync(target).isDirectory();
    } catch {
      // a link to nothing, say: readIdentityFile says what it is
    }
    if (isDirectory) {
      let scan: ReturnType<typeof scanIdentityFolder>;
      try {
        scan = scanIdentityFolder(target);
      } catch (error) {
        throw new CliError(`Could not read the folder ${target}: ${(error as Error).message}`);
      }
      files.push(...scan.files);
      skipped.push(...scan.skipped);
    } else {
      const result = readIdentityFile(target, path.basename(target));
      if ("file" in result) files.push(result.file);
      else skipped.push(result.skipped);
    }
  }
  return { files, skipped };
}

/** The innermost cause of an error (fetch wraps the network's reason in `cause`, tRPC wraps fetch's). */
function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let current = error; current instanceof Error && chain.length < 10; current = current.cause) {
    chain.push(current);
  }
  return chain;
}

/** A failed upload call, said plainly: no answer in time, no connection, or Tower's own refusal. */
function uploadError(error: unknown, options: ImportOptions, signal: AbortSignal, progress: string): Error {
  const chain = causes(error);
  if (signal.aborted || chain.some((cause) => cause.name === "TimeoutError")) {
    return new CliError(
      `Tower did not answer in time: no answer from ${options.url} within ${options.timeoutSeconds} s${progress}. ` +
        "Check that the URL is Tower's API, or pass a longer --timeout.",
    );
  }
  const fetchFailed = chain.findIndex((cause) => cause instanceof TypeError && cause.message === "fetch failed");
  if (fetchFailed >= 0) {
    const reason = chain[chain.length - 1];
    const detail = reason && chain.length - 1 > fetchFailed ? ` (${reason.message})` : "";
    return new CliError(`Tower could not be reached at ${options.url}${detail}${progress}.`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** `tower import <folder-or-files…>`: chunked upload with progress, then the report. Returns the exit code. */
export async function importCommand(tower: TowerClient, targets: string[], options: ImportOptions): Promise<number> {
  const paths = targets.map(cliEnv.resolvePath);
  const { files, skipped } = readTargets(paths);
  if (files.length === 0 && skipped.length === 0) {
    throw new CliError(`No .yaml, .yml or .json files in ${targets.join(", ")}`);
  }

  // Entries not read are reported like files Tower could not read: one line each, and exit 1.
  let report: AgentImportReport = {
    ...emptyImportReport(),
    files: skipped.map((entry) => ({ file: entry.name, agents: [], error: `skipped: ${entry.reason}` })),
  };
  let done = 0;
  const progress = progressLine();
  for (const chunk of chunkIdentityFiles(files)) {
    const signal = AbortSignal.timeout(options.timeoutSeconds * 1000);
    let answer: AgentImportReport;
    try {
      answer = await tower.api.agent.import.mutate({ files: chunk }, { signal });
    } catch (error) {
      progress.end();
      const before = done > 0 ? `; ${done} of ${files.length} files were imported before that` : "";
      throw uploadError(error, options, signal, before);
    }
    report = mergeImportReports(report, answer);
    done += chunk.length;
    progress.update(`Imported ${done} of ${files.length} files`);
  }
  progress.end();

  for (const file of report.files) {
    if (file.error) console.log(`✖ ${file.file}: ${file.error}`);
    for (const agent of file.agents.filter((a) => a.outcome === "rejected")) {
      console.log(`✖ ${file.file} › ${agent.name}: ${agent.reason}`);
    }
  }
  const { created, updated, unchanged, rejected } = report.totals;
  const fileErrors = report.files.filter((file) => file.error).length;
  console.log(
    `${created} created, ${updated} updated, ${unchanged} unchanged, ${rejected} rejected, ${fileErrors} unreadable files`,
  );
  return rejected > 0 || fileErrors > 0 ? 1 : 0;
}
