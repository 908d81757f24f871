#!/usr/bin/env node
// The Tower command line:
//   tower import <folder-or-files…>   upsert agents from YAML/JSON identity files
//   tower audit verify                check the project's audit trail hash chain
// Options: --url (else TOWER_URL, else http://localhost:3001), --api-key (else TOWER_API_KEY).
import { parseArgs } from "node:util";
import { createTowerClient } from "../client";
import { auditVerifyCommand } from "./audit-command";
import { CliError } from "./cli-error";
import { cliEnv } from "./env";
import { importCommand } from "./import-command";

const usage = `Usage:
  tower import <folder-or-files…> [--url URL] [--api-key KEY]
  tower audit verify [--url URL] [--api-key KEY]`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { url: { type: "string" }, "api-key": { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  const [command, ...rest] = positionals;
  const run =
    command === "import" && rest.length > 0
      ? importCommand
      : command === "audit" && rest[0] === "verify"
        ? auditVerifyCommand
        : null;
  if (values.help || !run) throw new CliError(usage);
  const apiKey = values["api-key"] ?? cliEnv.apiKey;
  if (!apiKey) throw new CliError("Pass --api-key or set TOWER_API_KEY (Settings → API keys in the dashboard).");
  const tower = createTowerClient({ url: values.url ?? cliEnv.url ?? "http://localhost:3001", apiKey });
  try {
    return await run(tower, rest);
  } finally {
    tower.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    console.error(error instanceof CliError ? error.message : `Tower refused: ${error.message}`);
    process.exitCode = 2;
  },
);
