#!/usr/bin/env node
// The Tower command line:
//   tower import <folder-or-files…>   upsert agents from YAML/JSON identity files
//   tower audit verify [--full]       the server checks the project's audit trail hash chain
//   tower audit verify --chain FILE --heads FILE --public-key FILE
//                                     check an exported chain offline against signed heads
//   tower audit export [--out FILE]   the project's chain as JSON lines
//   tower audit heads [--out FILE] [--public-key-out FILE] [--limit N]
//                                     the latest signed chain heads as JSON lines, and the key
// Options: --url (else TOWER_URL, else http://localhost:3001), --api-key (else TOWER_API_KEY).
import { parseArgs } from "node:util";
import { createTowerClient, type TowerClient } from "../client";
import { auditExportCommand, auditHeadsCommand, auditVerifyCommand } from "./audit-command";
import { auditVerifyOfflineCommand } from "./audit-offline-verify";
import { CliError } from "./cli-error";
import { cliEnv } from "./env";
import { importCommand } from "./import-command";

const usage = `Usage:
  tower import <folder-or-files…> [--url URL] [--api-key KEY]
  tower audit verify [--full] [--url URL] [--api-key KEY]
  tower audit verify --chain FILE --heads FILE --public-key FILE
  tower audit export [--out FILE] [--url URL] [--api-key KEY]
  tower audit heads [--out FILE] [--public-key-out FILE] [--limit N] [--url URL] [--api-key KEY]`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: "string" },
      "api-key": { type: "string" },
      help: { type: "boolean", short: "h" },
      full: { type: "boolean" },
      chain: { type: "string" },
      heads: { type: "string" },
      "public-key": { type: "string" },
      out: { type: "string" },
      "public-key-out": { type: "string" },
      limit: { type: "string" },
    },
  });
  const [command, ...rest] = positionals;
  const audit = command === "audit" ? rest[0] : undefined;
  if (values.help) throw new CliError(usage);
  // Offline: nothing but the files given; no server, no key.
  if (audit === "verify" && values.chain) {
    return auditVerifyOfflineCommand({ chain: values.chain, heads: values.heads, publicKey: values["public-key"] });
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 100)) {
    throw new CliError("--limit takes a whole number from 1 to 100");
  }
  const run: ((tower: TowerClient) => Promise<number>) | null =
    command === "import" && rest.length > 0
      ? (tower) => importCommand(tower, rest)
      : audit === "verify"
        ? (tower) => auditVerifyCommand(tower, { full: values.full })
        : audit === "export"
          ? (tower) => auditExportCommand(tower, { out: values.out })
          : audit === "heads"
            ? (tower) => auditHeadsCommand(tower, { out: values.out, publicKeyOut: values["public-key-out"], limit })
            : null;
  if (!run) throw new CliError(usage);
  const apiKey = values["api-key"] ?? cliEnv.apiKey;
  if (!apiKey) throw new CliError("Pass --api-key or set TOWER_API_KEY (Settings → API keys in the dashboard).");
  const tower = createTowerClient({ url: values.url ?? cliEnv.url ?? "http://localhost:3001", apiKey });
  try {
    return await run(tower);
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
