import {
  ABSOLUTE_PATH,
  jsonBytes,
  LIMITS,
  POLICY_LIMITS,
  type Approval,
  type PolicyCheckInput,
  type PolicyDecision,
  type ReportEvent,
} from "@tower/shared";
import { z } from "zod";
import { sha256 } from "../core/tokens";
import { canonicalJson } from "./policy-request";

/**
 * Claude Code's hooks, as Tower reads them: a PreToolUse event becomes a policy check and the
 * decision becomes Claude Code's hook output; a PostToolUse event becomes a `tool_use` event.
 * Pure mapping, no transport (apps/server/src/claude-code-hook.ts serves it over HTTP). Field
 * names follow Claude Code's hooks reference: every event carries `session_id`, `transcript_path`,
 * `cwd`, `permission_mode` and `hook_event_name`; tool events add `tool_name`, `tool_input` and
 * `tool_use_id`, and PostToolUse `tool_response`. A PreToolUse hook answers with
 * `hookSpecificOutput.permissionDecision` (`allow | deny | ask`) and `permissionDecisionReason`.
 */

/** The agent a hook reports as when the key does not name exactly one and the URL names none. */
export const CLAUDE_CODE_DEFAULT_AGENT = "claude-code";

export type ClaudeCodeHookEvent = "PreToolUse" | "PostToolUse";

export const ClaudeCodeHookInputSchema = z.object({
  session_id: z.string().max(LIMITS.shortTextLength).optional(),
  transcript_path: z.string().optional(),
  cwd: z.string().optional(),
  permission_mode: z.string().max(LIMITS.shortTextLength).optional(),
  hook_event_name: z.string().min(1, "hook_event_name is required"),
  tool_name: z
    .string()
    .trim()
    .min(1, "tool_name is required")
    .max(POLICY_LIMITS.toolLength, `tool_name must be at most ${POLICY_LIMITS.toolLength} characters`),
  tool_input: z.record(z.string(), z.json()).default({}),
  tool_use_id: z.string().max(LIMITS.shortTextLength).optional(),
  tool_response: z.json().optional(),
});
export type ClaudeCodeHookInput = z.output<typeof ClaudeCodeHookInputSchema>;

/** Claude Code's answer to a PreToolUse hook. */
export interface PreToolUseOutput {
  hookSpecificOutput: {
    hookEventName: "PreToolUse";
    permissionDecision: "allow" | "deny" | "ask";
    permissionDecisionReason: string;
  };
}

/** Which policy operation a Claude Code tool is, so rules can match `operations` across tools. */
export function operationOf(tool: string): string {
  if (tool === "Bash") return "shell";
  if (tool === "Read" || tool === "Glob" || tool === "Grep" || tool === "LS") return "file_read";
  if (tool === "Write" || tool === "Edit" || tool === "MultiEdit" || tool === "NotebookEdit") return "file_write";
  if (tool === "WebFetch" || tool === "WebSearch") return "web";
  if (tool === "Task" || tool === "Agent") return "agent_spawn";
  if (tool.startsWith("mcp__")) return "mcp";
  return "tool_use";
}

/** Where a built-in file tool names the file or folder it touches. */
function pathFieldOf(tool: string): string | undefined {
  switch (tool) {
    case "Read":
    case "Write":
    case "Edit":
    case "MultiEdit":
      return "file_path";
    case "NotebookEdit":
      return "notebook_path";
    case "Glob":
    case "Grep":
    case "LS":
      return "path";
    default:
      return undefined;
  }
}

/** The file or folder a built-in file tool touches (absolute, as Claude Code sends it). */
export function pathOf(tool: string, input: Record<string, unknown>): string | undefined {
  const field = pathFieldOf(tool);
  const value = field === undefined ? undefined : input[field];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/**
 * A file tool's path field that is there but is no path (a number, an empty string…): the path
 * scopes could not be checked, so the call is refused rather than decided without them.
 */
function badPathField(tool: string, input: Record<string, unknown>): string | undefined {
  const field = pathFieldOf(tool);
  if (field === undefined || !(field in input)) return undefined;
  const value = input[field];
  return typeof value === "string" && value.length > 0 ? undefined : field;
}

/** Longer strings are replaced by their digest (so an approval still binds to them) and a head. */
const INPUT_STRING_CHARS = 2_048;

function digestLongStrings(value: unknown): unknown {
  if (typeof value === "string") {
    if (value.length <= INPUT_STRING_CHARS) return value;
    return `[sha256:${sha256(value)}, ${value.length} chars] ${value.slice(0, 200)}…`;
  }
  if (Array.isArray(value)) return value.map(digestLongStrings);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, digestLongStrings(item)]));
  }
  return value;
}

/**
 * The check's `input`, what an approval is bound to: Bash's command only (its description and
 * timeout do not change what runs), otherwise the tool's input; long strings by their digest, and
 * the whole input by its digest if it is still over the limit. Claude Code's session id is kept
 * here (Tower's session ids are Tower's), so an approval covers one Claude Code session's request.
 */
export function checkInputOf(payload: ClaudeCodeHookInput): Record<string, unknown> {
  const raw: Record<string, unknown> =
    payload.tool_name === "Bash" ? { command: payload.tool_input.command ?? null } : { ...payload.tool_input };
  let input = digestLongStrings(raw) as Record<string, unknown>;
  if (jsonBytes(input) > POLICY_LIMITS.inputBytes - 512) {
    input = {
      sha256: sha256(canonicalJson(raw)),
      bytes: jsonBytes(raw),
      keys: Object.keys(raw)
        .slice(0, 50)
        .map((key) => key.slice(0, LIMITS.shortTextLength)),
    };
  }
  if (payload.session_id) input.claude_session_id = payload.session_id;
  return input;
}

/** A PreToolUse event as Tower's policy check, or why it cannot be one (answered as a denial). */
export function toPolicyCheck(
  payload: ClaudeCodeHookInput,
  agent: string,
): { ok: true; input: PolicyCheckInput } | { ok: false; reason: string } {
  const bad = badPathField(payload.tool_name, payload.tool_input);
  if (bad !== undefined) {
    return { ok: false, reason: `${payload.tool_name}'s ${bad} is not a path, so its path scopes cannot be checked` };
  }
  const path = pathOf(payload.tool_name, payload.tool_input);
  if (path !== undefined && path.length > POLICY_LIMITS.pathLength) {
    return { ok: false, reason: `The path is longer than ${POLICY_LIMITS.pathLength} characters` };
  }
  // A cwd Tower cannot use (too long, not absolute) is left out: an absolute path is then outside the workspace.
  const cwd =
    payload.cwd && payload.cwd.length <= POLICY_LIMITS.pathLength && ABSOLUTE_PATH.test(payload.cwd)
      ? payload.cwd
      : undefined;
  return {
    ok: true,
    input: {
      agent,
      tool: payload.tool_name,
      operation: operationOf(payload.tool_name),
      ...(path !== undefined ? { path } : {}),
      ...(cwd !== undefined ? { cwd } : {}),
      input: checkInputOf(payload) as PolicyCheckInput["input"],
      // The hook sent again for the same tool call gets the same answer.
      ...(payload.tool_use_id ? { checkId: payload.tool_use_id } : {}),
    },
  };
}

const preToolUse = (permissionDecision: "allow" | "deny" | "ask", reason: string): PreToolUseOutput => ({
  hookSpecificOutput: {
    hookEventName: "PreToolUse",
    permissionDecision,
    permissionDecisionReason: `Tower: ${reason}`,
  },
});

/**
 * A decision as Claude Code's answer. "Requires approval" becomes "ask" (Claude Code asks its
 * local user) when the hook does not wait for Tower's approver.
 */
export function preToolUseAnswer(decision: PolicyDecision): PreToolUseOutput {
  if (decision.decision === "allowed") return preToolUse("allow", decision.reason);
  if (decision.decision === "denied") return preToolUse("deny", decision.reason);
  const approval = decision.approvalId ? ` (approval ${decision.approvalId} is pending in Tower)` : "";
  return preToolUse("ask", `${decision.reason}${approval}`);
}

const time = (at: number) => new Date(at).toISOString().replace(/\.\d+Z$/, "Z");

/** A settled approval that was not approved, as Claude Code's denial: denied, expired, cancelled. */
export function approvalRefusal(approval: Approval): PreToolUseOutput {
  switch (approval.status) {
    case "denied":
      return preToolUse(
        "deny",
        `Denied by ${approval.deciderName ?? "an approver"}${approval.comment ? `: ${approval.comment}` : ""} (approval ${approval.id})`,
      );
    case "expired":
      return preToolUse("deny", `Approval ${approval.id} expired at ${time(approval.expiresAt)} without a decision`);
    case "cancelled":
      return preToolUse("deny", `Approval ${approval.id} was cancelled`);
    default:
      return preToolUse("deny", `Approval ${approval.id} is ${approval.status}`);
  }
}

/** A denial for a request Tower could not decide (so the tool does not run unchecked). */
export function preToolUseDenial(reason: string): PreToolUseOutput {
  return preToolUse("deny", reason);
}

/** An "ask": Claude Code's local user decides (the hook stopped waiting for Tower's approver). */
export function preToolUseAsk(reason: string): PreToolUseOutput {
  return preToolUse("ask", reason);
}

interface SummaryBudget {
  chars: number;
  items: number;
  depth: number;
}

function summarize(value: unknown, budget: SummaryBudget, depth = 0): unknown {
  if (typeof value === "string") {
    return value.length <= budget.chars ? value : `${value.slice(0, budget.chars)}… (${value.length} chars)`;
  }
  if (value === null || typeof value !== "object") return value ?? null;
  if (depth >= budget.depth) return Array.isArray(value) ? `[${value.length} items]` : "{…}";
  if (Array.isArray(value)) {
    const items = value.slice(0, budget.items).map((item) => summarize(item, budget, depth + 1));
    if (value.length > budget.items) items.push(`… ${value.length - budget.items} more`);
    return items;
  }
  const entries = Object.entries(value);
  const kept = entries
    .slice(0, budget.items)
    .map(([key, item]) => [key.slice(0, LIMITS.shortTextLength), summarize(item, budget, depth + 1)]);
  if (entries.length > budget.items) kept.push(["…", `${entries.length - budget.items} more keys`]);
  return Object.fromEntries(kept);
}

const SUMMARY_BUDGETS: SummaryBudget[] = [
  { chars: 1_000, items: 25, depth: 5 },
  { chars: 300, items: 10, depth: 3 },
  { chars: 80, items: 5, depth: 2 },
];

/**
 * An event's id from the agent and the tool call's id: the same call reported twice is stored
 * once, and another agent's call with the same id (ids are unique per project) is its own.
 */
function toolUseEventId(payload: ClaudeCodeHookInput, agent: string): string {
  const call = payload.tool_use_id ?? {
    session: payload.session_id ?? null,
    tool: payload.tool_name,
    input: payload.tool_input,
    response: payload.tool_response ?? null,
  };
  return `cc-${sha256(canonicalJson({ agent, call })).slice(0, 40)}`;
}

/** A PostToolUse event as a `tool_use` event, with a bounded summary of what went in and came out. */
export function toToolUseEvent(payload: ClaudeCodeHookInput, agent: string): ReportEvent & { id: string } {
  const base = {
    source: "claude-code",
    toolUseId: payload.tool_use_id ?? null,
    claudeSessionId: payload.session_id ?? null,
    cwd: payload.cwd?.slice(0, POLICY_LIMITS.pathLength) ?? null,
    permissionMode: payload.permission_mode ?? null,
    path: pathOf(payload.tool_name, payload.tool_input)?.slice(0, POLICY_LIMITS.pathLength) ?? null,
  };
  const limit = LIMITS.metadataBytes - 256;
  let detail: Record<string, unknown> = { ...base, truncated: true };
  for (const budget of SUMMARY_BUDGETS) {
    const candidate = {
      ...base,
      toolInput: summarize(payload.tool_input, budget),
      toolResponse: summarize(payload.tool_response ?? null, budget),
    };
    if (jsonBytes(candidate) <= limit) {
      detail = candidate;
      break;
    }
  }
  return {
    id: toolUseEventId(payload, agent),
    kind: "event",
    agent,
    operation: "tool_use",
    target: payload.tool_name,
    decision: "allowed",
    detail: detail as ReportEvent["detail"],
  };
}
