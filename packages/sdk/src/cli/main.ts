#!/usr/bin/env node
// The Tower command line. Usage:
//   tower import <folder-or-files…> [--url http://localhost:3001] [--api-key tower_…]
// TOWER_URL and TOWER_API_KEY are read when the flags are absent.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { chunkIdentityFiles, emptyImportReport, mergeImportReports, type IdentityFile } from "@tower/shared";
import { createTowerClient } from "../client";
import { cliEnv } from "./env";
import { readIdentityFolder } from "@tower/shared/node";

const usage = "Usage: tower import <folder-or-files…> [--url URL] [--api-key KEY]";

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { url: { type: "string" }, "api-key": { type: "string" }, help: { type: "boolean", short: "h" } },
});
const [command, ...targets] = positionals;
if (values.help || command !== "import" || targets.length === 0) fail(usage);

const apiKey = values["api-key"] ?? cliEnv.apiKey;
if (!apiKey) fail("Pass --api-key or set TOWER_API_KEY (Settings → API keys in the dashboard).");
const url = values.url ?? cliEnv.url ?? "http://localhost:3001";

const paths = targets.map(cliEnv.resolvePath);
for (const target of paths) if (!existsSync(target)) fail(`No such file or folder: ${target}`);
const files: IdentityFile[] = paths.flatMap((target) =>
  statSync(target).isDirectory()
    ? readIdentityFolder(target)
    : [{ name: path.basename(target), content: readFileSync(target, "utf8") }],
);
if (files.length === 0) fail(`No .yaml, .yml or .json files in ${targets.join(", ")}`);

const tower = createTowerClient({ url, apiKey });
let report = emptyImportReport();
let done = 0;
try {
  for (const chunk of chunkIdentityFiles(files)) {
    report = mergeImportReports(report, await tower.api.agent.import.mutate({ files: chunk }));
    done += chunk.length;
    process.stderr.write(`\rImported ${done} of ${files.length} files`);
  }
  process.stderr.write("\n");
} catch (error) {
  fail(`\nTower refused the import: ${(error as Error).message}`);
} finally {
  tower.close();
}

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
process.exitCode = rejected > 0 || fileErrors > 0 ? 1 : 0;
