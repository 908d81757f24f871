// The CLI's words: one entry per command, shown by `tower help <command>` or `<command> --help`.
const CONNECTION_OPTIONS = `  --url URL        Tower's API (else TOWER_URL, else http://localhost:3001)
  --api-key KEY    a project API key (else TOWER_API_KEY); create one in Settings → API keys`;
const CONNECTION = `Connection:\n${CONNECTION_OPTIONS}`;

export interface CommandHelp {
  /** As typed: "import", "audit verify". */
  name: string;
  summary: string;
  usage: string;
  details: string;
  /** Whether it needs --url and --api-key. */
  online: boolean;
}

export const COMMANDS: CommandHelp[] = [
  {
    name: "import",
    summary: "create or update agents from YAML/JSON identity files",
    usage: "tower import <folder-or-files…> [--timeout SECONDS] [--url URL] [--api-key KEY]",
    details: `Reads every .yaml, .yml and .json file given (folders: their files, not subfolders), uploads them
in chunks with progress, and prints one line per file: created, updated, unchanged or the error.
Only regular files are read: symbolic links, folders, pipes and devices are skipped, as are files
over 256 KiB or not UTF-8, each with its own line; the other files are still imported.
Agents are matched by name within the key's project. Needs a key with the manage scope.
  --timeout SECONDS  how long each upload waits for Tower's answer (default 60)
Exit code 0 when every file was accepted, 1 when some were refused or skipped, 2 on a usage error
or when Tower could not be reached or did not answer in time.`,
    online: true,
  },
  {
    name: "audit verify",
    summary: "check the audit trail's hash chain (on the server, or offline from files)",
    usage: `tower audit verify [--full] [--url URL] [--api-key KEY]
  tower audit verify --chain FILE --heads FILE --public-key FILE`,
    details: `Online: the server walks the project's chain since its last verified point (--full: from the
start) and says whether every row links to the one before. Needs an admin key.
Offline (--chain): checks a file from \`tower audit export\` against signed heads from
\`tower audit heads\` and the public key, with no server at all.
Exit code 0 when the chain holds, 1 when it is broken, 2 on a usage error.`,
    online: true,
  },
  {
    name: "audit export",
    summary: "write the project's audit chain as JSON lines",
    usage: "tower audit export [--out FILE] [--url URL] [--api-key KEY]",
    details: `Every audit row of the key's project, oldest first, one JSON object per line, to FILE or stdout,
with progress on stderr when writing to a file. Keep it with \`tower audit heads\` to verify it offline later.`,
    online: true,
  },
  {
    name: "audit heads",
    summary: "write the latest signed chain heads and the public key that checks them",
    usage: "tower audit heads [--out FILE] [--public-key-out FILE] [--limit N] [--url URL] [--api-key KEY]",
    details: `The last N (1–100, default 20) chain heads the server signed, as JSON lines, to FILE or stdout;
--public-key-out writes the signing key's public half (PEM) for \`tower audit verify --chain\`.`,
    online: true,
  },
  {
    name: "hook install",
    summary: "add Tower's PreToolUse and PostToolUse hooks to a Claude Code project",
    usage: "tower hook install [--agent NAME] [--dir DIR] [--command] [--url URL] [--api-key KEY]",
    details: `Writes DIR/.claude/settings.json (DIR defaults to the current folder), merged into what is there:
Tower's earlier entries are replaced, every other hook and setting is kept. PreToolUse asks Tower's
policy before each tool call (waiting for a person when a rule requires approval; its timeout is
longer than the longest approval, read from the policy when a key is at hand, else 1800 s, and
onFailure "block" makes an unreachable Tower block the call); PostToolUse records what ran.
  --agent NAME   the Tower agent Claude Code acts as (default claude-code; register it in Tower)
  --dir DIR      the project folder
  --command      command hooks running this SDK's \`tower hook claude-code\` (by its path, never
                 through npx) instead of http hooks, for Claude Code clients without http hooks
The key is never written: the hooks send TOWER_API_KEY from Claude Code's environment.`,
    online: true,
  },
  {
    name: "hook claude-code",
    summary: "a Claude Code command hook: ask Tower about the tool call on stdin",
    usage: "tower hook claude-code [--agent NAME] [--timeout SECONDS] [--url URL] [--api-key KEY]",
    details: `Reads Claude Code's PreToolUse or PostToolUse event (JSON) on stdin, posts it to Tower's
/hooks/claude-code/pre-tool-use or post-tool-use, prints Tower's answer on stdout and exits 0.
It fails closed: if Tower cannot be reached, refuses the key, or gives no decision within
--timeout (default 1740 s), a PreToolUse is answered with permissionDecision "deny" and the reason;
input that is not a hook event exits 2, which blocks. An undelivered PostToolUse exits 1.
\`tower hook install --command\` writes the settings that run it.`,
    online: true,
  },
];

export function overview(version: string): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return `tower ${version}: the command line of Tower, the control plane for AI agent fleets.

Usage: tower <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join("\n")}

Run \`tower <command> --help\` (or \`tower help <command>\`) for one command's options.

Options:
${CONNECTION_OPTIONS}
  -h, --help       show help
  -v, --version    show the version`;
}

export function commandHelp(command: CommandHelp): string {
  return `Usage: ${command.usage}

${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.

${command.details}${command.online ? `\n\n${CONNECTION}` : ""}`;
}
