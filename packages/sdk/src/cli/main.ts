#!/usr/bin/env node
// The Tower command line: `tower --help` lists the commands, `tower <command> --help` explains one
// (the words live in help.ts). Exit codes: 0 done, 1 the check or import found problems, 2 usage.
import { parseArgs } from "node:util";
import { createTowerClient, type TowerClient } from "../client";
import { auditExportCommand, auditHeadsCommand, auditVerifyCommand } from "./audit-command";
import { auditVerifyOfflineCommand } from "./audit-offline-verify";
import { CliError } from "./cli-error";
import { cliEnv } from "./env";
import { COMMANDS, commandHelp, overview, type CommandHelp } from "./help";
import { claudeCodeHookCommand } from "./hook-command";
import { DEFAULT_PRE_TIMEOUT_SECONDS, hookInstallCommand } from "./hook-install";
import { DEFAULT_IMPORT_TIMEOUT_SECONDS, importCommand } from "./import-command";
import { SDK_VERSION } from "../version";

type Values = ReturnType<typeof parse>["values"];

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        url: { type: "string" },
        "api-key": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        full: { type: "boolean" },
        chain: { type: "string" },
        heads: { type: "string" },
        "public-key": { type: "string" },
        out: { type: "string" },
        "public-key-out": { type: "string" },
        limit: { type: "string" },
        agent: { type: "string" },
        dir: { type: "string" },
        command: { type: "boolean" },
        timeout: { type: "string" },
      },
    });
  } catch (error) {
    // parseArgs says e.g. "Unknown option '--foo'"; point at the help that lists the right ones.
    throw new CliError(`${(error as Error).message}. See \`tower --help\`.`);
  }
}

/** The command named by the first positionals ("audit verify" takes two words), and the rest. */
function findCommand(positionals: string[]): { command: CommandHelp | undefined; rest: string[] } {
  for (const words of [2, 1]) {
    const name = positionals.slice(0, words).join(" ");
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (command) return { command, rest: positionals.slice(words) };
  }
  return { command: undefined, rest: positionals };
}

function limitOf(values: Values): number | undefined {
  if (values.limit === undefined) return undefined;
  const limit = Number(values.limit);
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= 100))
    throw new CliError("--limit takes a whole number from 1 to 100");
  return limit;
}

/** The words that only name a group of commands (`tower audit verify`, `tower hook install`). */
const GROUPS = ["audit", "hook"];

/** `--timeout` in whole seconds, or `fallback` when it is not given. */
function timeoutOf(values: Values, fallback: number): number {
  if (values.timeout === undefined) return fallback;
  const seconds = Number(values.timeout);
  if (!(Number.isInteger(seconds) && seconds >= 1)) throw new CliError("--timeout takes a whole number of seconds");
  return seconds;
}

const urlOf = (values: Values) => values.url ?? cliEnv.url ?? "http://localhost:3001";

function online(values: Values, run: (tower: TowerClient) => Promise<number>): Promise<number> {
  const apiKey = values["api-key"] ?? cliEnv.apiKey;
  if (!apiKey) throw new CliError("Pass --api-key or set TOWER_API_KEY (Settings → API keys in the dashboard).");
  const tower = createTowerClient({ url: urlOf(values), apiKey });
  return run(tower).finally(() => tower.close());
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.version) {
    console.log(SDK_VERSION);
    return 0;
  }
  const asksHelp = positionals[0] === "help";
  const { command, rest } = findCommand(asksHelp ? positionals.slice(1) : positionals);
  if (values.help || asksHelp || positionals.length === 0) {
    const named = asksHelp ? positionals.slice(1) : positionals;
    if (command) console.log(commandHelp(command));
    else if (named.length > 0 && !GROUPS.includes(named[0]!))
      throw new CliError(`Unknown command "${named.join(" ")}". See \`tower --help\`.`);
    else console.log(overview(SDK_VERSION));
    // `tower` alone is a usage error (exit 2) that still shows what to type.
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  if (!command && positionals[0] === "audit") {
    throw new CliError("`tower audit` takes one of: verify, export, heads. See `tower audit verify --help`.");
  }
  if (!command && positionals[0] === "hook") {
    throw new CliError("`tower hook` takes one of: claude-code, install. See `tower hook install --help`.");
  }
  if (!command) throw new CliError(`Unknown command "${positionals.join(" ")}". See \`tower --help\`.`);

  switch (command.name) {
    case "import": {
      if (rest.length === 0) throw new CliError(`Name the folders or files to import.\n\n${commandHelp(command)}`);
      const options = { url: urlOf(values), timeoutSeconds: timeoutOf(values, DEFAULT_IMPORT_TIMEOUT_SECONDS) };
      return online(values, (tower) => importCommand(tower, rest, options));
    }
    case "audit verify":
      // Offline: nothing but the files given; no server, no key.
      if (values.chain) {
        return auditVerifyOfflineCommand({ chain: values.chain, heads: values.heads, publicKey: values["public-key"] });
      }
      return online(values, (tower) => auditVerifyCommand(tower, { full: values.full }));
    case "audit export":
      return online(values, (tower) => auditExportCommand(tower, { out: values.out }));
    case "audit heads": {
      const limit = limitOf(values);
      return online(values, (tower) =>
        auditHeadsCommand(tower, { out: values.out, publicKeyOut: values["public-key-out"], limit }),
      );
    }
    case "hook claude-code":
      // Fails closed by itself: every failure is a deny answer (or exit 2), never a usage error.
      return claudeCodeHookCommand({
        url: urlOf(values),
        apiKey: values["api-key"] ?? cliEnv.apiKey,
        agent: values.agent,
        timeoutSeconds: timeoutOf(values, DEFAULT_PRE_TIMEOUT_SECONDS - 60),
      });
    case "hook install": {
      const apiKey = values["api-key"] ?? cliEnv.apiKey;
      const tower = apiKey ? createTowerClient({ url: urlOf(values), apiKey }) : null;
      const install = hookInstallCommand({
        dir: values.dir ?? ".",
        agent: values.agent ?? "claude-code",
        url: urlOf(values),
        command: values.command ?? false,
        tower,
      });
      return install.finally(() => tower?.close());
    }
    default:
      throw new CliError(`"${command.name}" is listed but not wired; this is a bug in the tower CLI.`);
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    console.error(error instanceof CliError ? error.message : `Tower refused: ${error.message}`);
    process.exitCode = 2;
  },
);
