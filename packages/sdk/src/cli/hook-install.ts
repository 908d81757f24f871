import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TowerClient } from "../client";
import {
  hooksShapeProblem,
  isTowerHandler,
  mergeTowerHooks,
  POST_TIMEOUT_SECONDS,
  towerHandler,
  type TowerHookPlan,
} from "./claude-settings";
import { CliError } from "./cli-error";
import { cliEnv } from "./env";

/** PreToolUse waits at most this long when the policy cannot be read: twice the default approval lifetime. */
export const DEFAULT_PRE_TIMEOUT_SECONDS = 1_800;
/** Beyond the longest approval: time for the answer to travel once the person decides at the last moment. */
const APPROVAL_MARGIN_SECONDS = 60;

export interface HookInstallOptions {
  dir: string;
  agent: string;
  url: string;
  command: boolean;
  /** Reads the policy (approval lifetimes) when a key is at hand; else the default timeout is used. */
  tower: TowerClient | null;
}

/** The PreToolUse timeout: longer than the longest approval the project's policy can ask for. */
async function preTimeout(tower: TowerClient | null): Promise<{ seconds: number; note: string }> {
  const fallback = `${DEFAULT_PRE_TIMEOUT_SECONDS} s`;
  if (!tower)
    return { seconds: DEFAULT_PRE_TIMEOUT_SECONDS, note: `${fallback} (no TOWER_API_KEY to read the policy with)` };
  try {
    const { version, document } = await tower.api.policy.get.query({});
    const longest = Math.max(document.defaultTtlSeconds, ...document.rules.map((rule) => rule.ttlSeconds ?? 0));
    const seconds = Math.max(DEFAULT_PRE_TIMEOUT_SECONDS, longest + APPROVAL_MARGIN_SECONDS);
    return { seconds, note: `${seconds} s (policy version ${version}: approvals last at most ${longest} s)` };
  } catch (error) {
    return {
      seconds: DEFAULT_PRE_TIMEOUT_SECONDS,
      note: `${fallback} (the policy could not be read: ${(error as Error).message})`,
    };
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The settings in the file ({} when there is none); refuses, writing nothing, anything it cannot merge into safely. */
function readSettings(file: string): Record<string, unknown> {
  const stats = statSync(file, { throwIfNoEntry: false });
  if (!stats) return {};
  if (!stats.isFile()) throw new CliError(`${file} is not a regular file; nothing was written`);
  let text: string;
  try {
    // ignoreBOM: a byte order mark stays in the text, and JSON.parse refuses it below.
    text = utf8.decode(readFileSync(file));
  } catch (error) {
    if (error instanceof TypeError) {
      throw new CliError(`${file} is not valid UTF-8 text; fix it first, nothing was written`);
    }
    throw new CliError(`${file} could not be read (${(error as Error).message}); nothing was written`);
  }
  if (!text.trim()) return {};
  let settings: unknown;
  try {
    settings = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON (${(error as Error).message}); fix it first, nothing was written`);
  }
  if (typeof settings !== "object" || settings === null || Array.isArray(settings)) {
    throw new CliError(`${file} does not hold a JSON object; nothing was written`);
  }
  const problem = hooksShapeProblem(settings as Record<string, unknown>);
  if (problem) throw new CliError(`${file}: ${problem}; fix it first, nothing was written`);
  return settings as Record<string, unknown>;
}

/** How many hook handlers the file has: Tower's own, and the others. */
function countHandlers(settings: Record<string, unknown>): { tower: number; other: number } {
  const handlers = Object.values((settings.hooks ?? {}) as Record<string, unknown>)
    .flatMap((groups) => (Array.isArray(groups) ? groups : []))
    .flatMap((group) => {
      const hooks = (group as { hooks?: unknown } | null)?.hooks;
      return Array.isArray(hooks) ? (hooks as unknown[]) : [];
    });
  const tower = handlers.filter(isTowerHandler).length;
  return { tower, other: handlers.length - tower };
}

const describe = (handler: Record<string, unknown>) =>
  handler.type === "http" ? `http POST ${String(handler.url)}` : `command \`${String(handler.command)}\``;

/**
 * `tower hook install`: Tower's PreToolUse and PostToolUse hooks in `<dir>/.claude/settings.json`,
 * merged into what is there (earlier Tower entries replaced, every other hook kept). Prints what
 * it wrote. The API key itself is never written: the hooks read TOWER_API_KEY from the environment.
 */
export async function hookInstallCommand(options: HookInstallOptions): Promise<number> {
  const dir = cliEnv.resolvePath(options.dir);
  // The project folder must be there: a typo in --dir would otherwise create a whole new path.
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new CliError(`No such project folder: ${dir} (--dir); nothing was written`);
  }
  const claudeDir = path.join(dir, ".claude");
  const claudeStats = statSync(claudeDir, { throwIfNoEntry: false });
  if (claudeStats && !claudeStats.isDirectory()) {
    throw new CliError(`${claudeDir} is not a folder; nothing was written`);
  }
  const file = path.join(claudeDir, "settings.json");
  const settings = readSettings(file);
  const timeout = await preTimeout(options.tower);
  const plan: TowerHookPlan = {
    url: options.url,
    agent: options.agent,
    command: options.command,
    preTimeoutSeconds: timeout.seconds,
  };
  if (!claudeStats) mkdirSync(claudeDir);
  writeFileSync(file, `${JSON.stringify(mergeTowerHooks(settings, plan), null, 2)}\n`);

  console.log(`Wrote Tower's Claude Code hooks for agent "${options.agent}" to ${file}:`);
  console.log(`  PreToolUse  (every tool): ${describe(towerHandler("PreToolUse", plan))}`);
  console.log(`    timeout ${timeout.note}; onFailure "block": no answer blocks the tool call`);
  console.log(`  PostToolUse (every tool): ${describe(towerHandler("PostToolUse", plan))}`);
  console.log(`    timeout ${POST_TIMEOUT_SECONDS} s; records what ran`);
  const { tower: earlier, other } = countHandlers(settings);
  console.log(
    `${other} other hook${other === 1 ? "" : "s"} and every other setting kept${earlier > 0 ? `; ${earlier} earlier Tower hook${earlier === 1 ? "" : "s"} replaced` : ""}.`,
  );
  console.log(`Start Claude Code with TOWER_API_KEY set (a key that may act as "${options.agent}", who must be`);
  console.log("registered in Tower); onFailure needs Claude Code 2.1.295 or later.");
  return 0;
}
