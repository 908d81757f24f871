// The hook entries `tower hook install` writes into a Claude Code settings file, and how they are
// merged: Tower's own entries (found by their URL or command) are replaced, everything else is kept.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CLAUDE_HOOK_EVENTS, type ClaudeHookEvent } from "./claude-hook-answer";

type Json = Record<string, unknown>;
export interface HookHandler extends Json {
  type: string;
}
interface MatcherGroup extends Json {
  matcher?: string;
  hooks?: HookHandler[];
}

export interface TowerHookPlan {
  /** Tower's base URL. */
  url: string;
  agent: string;
  /** `command` hooks running this SDK's `tower hook claude-code` instead of `http` hooks. */
  command: boolean;
  /** PreToolUse's timeout in Claude Code, seconds: longer than the longest approval. */
  preTimeoutSeconds: number;
}

/** PostToolUse only records: a short timeout, and no blocking (the tool already ran). */
export const POST_TIMEOUT_SECONDS = 30;
/**
 * How much sooner than Claude Code's timeout Tower (`?timeout=`) or the command hook gives up on a
 * person, so that the answer is a deny with a reason rather than a hook that timed out (which a
 * Claude Code without `onFailure` lets through).
 */
const ANSWER_MARGIN_SECONDS = 30;

/** A word for a shell command line, quoted when it needs to be. */
function shellWord(word: string): string {
  return /^[\w.:/@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The `tower` command of the SDK installing the hooks, by its file: a command hook runs exactly this
 * one. Never `npx tower`: where the SDK is not installed in the project (npx's usual case), npx
 * would download and run whatever npm package is named "tower" (one is, and it is not this).
 */
export function towerBin(): string {
  // From dist/cli.mjs or src/cli/*.ts up to the package's folder, the one whose package.json is ours.
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "@tower/sdk"
    ) {
      return path.join(dir, "bin", "tower.mjs");
    }
    if (path.dirname(dir) === dir) throw new Error("the @tower/sdk package that runs this command has no package.json");
  }
}

/** Whether a handler is one Tower wrote (in any earlier form: `npx tower …` or `node …/tower.mjs …`). */
export function isTowerHandler(handler: unknown): boolean {
  const { url, command } = (handler ?? {}) as { url?: unknown; command?: unknown };
  return (
    (typeof url === "string" && url.includes("/hooks/claude-code/")) ||
    (typeof command === "string" && /\btower(?:\.mjs)?'? hook claude-code\b/.test(command))
  );
}

export function towerHandler(event: ClaudeHookEvent, plan: TowerHookPlan): HookHandler {
  const pre = event === "PreToolUse";
  const timeout = pre ? plan.preTimeoutSeconds : POST_TIMEOUT_SECONDS;
  // "block": a hook that cannot start, times out or fails blocks the tool call (Claude Code 2.1.295+).
  const failClosed = pre ? { onFailure: "block" } : {};
  if (plan.command) {
    const words = ["node", towerBin(), "hook", "claude-code", "--agent", plan.agent, "--url", plan.url];
    words.push("--timeout", String(Math.max(1, timeout - ANSWER_MARGIN_SECONDS)));
    return { type: "command", command: words.map(shellWord).join(" "), timeout, ...failClosed };
  }
  const url = new URL(`/hooks/claude-code/${CLAUDE_HOOK_EVENTS[event]}`, plan.url);
  url.searchParams.set("agent", plan.agent);
  if (pre) url.searchParams.set("timeout", String(Math.max(1, timeout - ANSWER_MARGIN_SECONDS)));
  return {
    type: "http",
    url: url.toString(),
    headers: { Authorization: "Bearer $TOWER_API_KEY" },
    allowedEnvVars: ["TOWER_API_KEY"],
    timeout,
    ...failClosed,
  };
}

const shapeOf = (value: unknown) =>
  value === null ? "null" : Array.isArray(value) ? "a list" : typeof value === "object" ? "an object" : typeof value;

/**
 * What is wrong with the shape of a settings object for merging hooks into it, or null: `hooks`,
 * when present, must be an object, and each event in it a list of matcher groups. Merging into
 * anything else would drop or mangle what the user wrote.
 */
export function hooksShapeProblem(settings: Json): string | null {
  if (!("hooks" in settings)) return null;
  const hooks = settings.hooks;
  if (typeof hooks !== "object" || hooks === null || Array.isArray(hooks)) {
    return `"hooks" is ${shapeOf(hooks)}, not an object of events`;
  }
  for (const [event, groups] of Object.entries(hooks)) {
    if (!Array.isArray(groups)) return `"hooks"."${event}" is ${shapeOf(groups)}, not a list of matcher groups`;
  }
  return null;
}

/**
 * The settings with Tower's PreToolUse and PostToolUse hooks in place: earlier Tower entries are
 * removed (a group left empty by that goes too), every other hook, group and setting is kept.
 */
export function mergeTowerHooks(settings: Json, plan: TowerHookPlan): Json {
  const problem = hooksShapeProblem(settings);
  if (problem) throw new Error(`cannot merge Tower's hooks: ${problem}`);
  const hooks = { ...((settings.hooks ?? {}) as Record<string, unknown>) };
  for (const event of Object.keys(CLAUDE_HOOK_EVENTS) as ClaudeHookEvent[]) {
    const groups = Array.isArray(hooks[event]) ? (hooks[event] as MatcherGroup[]) : [];
    const kept = groups.flatMap((group) => {
      if (!Array.isArray(group?.hooks) || !group.hooks.some(isTowerHandler)) return [group];
      const others = group.hooks.filter((handler) => !isTowerHandler(handler));
      return others.length > 0 ? [{ ...group, hooks: others }] : [];
    });
    hooks[event] = [...kept, { matcher: "*", hooks: [towerHandler(event, plan)] }];
  }
  return { ...settings, hooks };
}
