import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { chunkIdentityFiles, emptyImportReport, mergeImportReports, type IdentityFile } from "@tower/shared";
import { readIdentityFolder } from "@tower/shared/node";
import type { TowerClient } from "../client";
import { CliError } from "./cli-error";
import { cliEnv } from "./env";

/** `tower import <folder-or-files…>`: chunked upload with progress, then the report. Returns the exit code. */
export async function importCommand(tower: TowerClient, targets: string[]): Promise<number> {
  const paths = targets.map(cliEnv.resolvePath);
  for (const target of paths) if (!existsSync(target)) throw new CliError(`No such file or folder: ${target}`);
  const files: IdentityFile[] = paths.flatMap((target) =>
    statSync(target).isDirectory()
      ? readIdentityFolder(target)
      : [{ name: path.basename(target), content: readFileSync(target, "utf8") }],
  );
  if (files.length === 0) throw new CliError(`No .yaml, .yml or .json files in ${targets.join(", ")}`);

  let report = emptyImportReport();
  let done = 0;
  for (const chunk of chunkIdentityFiles(files)) {
    report = mergeImportReports(report, await tower.api.agent.import.mutate({ files: chunk }));
    done += chunk.length;
    process.stderr.write(`\rImported ${done} of ${files.length} files`);
  }
  process.stderr.write("\n");

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
