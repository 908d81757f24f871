// Claude Code's hook protocol, the part `tower hook claude-code` speaks (Claude Code's hooks
// reference): the hook reads the event as JSON on stdin; exit 0 with JSON on stdout is read as the
// answer, where a PreToolUse answer is `hookSpecificOutput: { hookEventName: "PreToolUse",
// permissionDecision: "allow" | "deny" | "ask" | "defer", permissionDecisionReason }`; exit 2 blocks
// with stderr as the reason; any other exit is a non-blocking error and the tool call goes ahead.

export const CLAUDE_HOOK_EVENTS = {
  PreToolUse: "pre-tool-use",
  PostToolUse: "post-tool-use",
} as const;
export type ClaudeHookEvent = keyof typeof CLAUDE_HOOK_EVENTS;

export const PERMISSION_DECISIONS = ["allow", "deny", "ask", "defer"] as const;

/** The PreToolUse answer that blocks the tool call and tells Claude why. */
export function denyAnswer(reason: string): string {
  return JSON.stringify({
    hookSpecificOutput: {
      hookEventName: "PreToolUse",
      permissionDecision: "deny",
      permissionDecisionReason: `Tower: ${reason} (denied: the hook fails closed)`,
    },
  });
}

/** Whether a PreToolUse answer carries a decision Claude Code understands. */
export function hasPermissionDecision(answer: unknown): boolean {
  const output = (answer as { hookSpecificOutput?: { hookEventName?: unknown; permissionDecision?: unknown } } | null)
    ?.hookSpecificOutput;
  return (
    output?.hookEventName === "PreToolUse" &&
    (PERMISSION_DECISIONS as readonly unknown[]).includes(output.permissionDecision)
  );
}

/** The message of an error answer: tRPC's `{ error: { message } }`, a plain `{ message }`, or the text. */
export function errorMessageOf(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof body.error === "string" ? body.error : (body.error?.message ?? body.message);
    if (typeof message === "string" && message) return message;
  } catch {
    // not JSON: the text itself, shortened
  }
  return text.trim().slice(0, 300) || "no message";
}
