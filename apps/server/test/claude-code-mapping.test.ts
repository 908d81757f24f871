import { readFileSync } from "node:fs";
import {
  approvalRefusal,
  ClaudeCodeHookInputSchema,
  preToolUseAnswer,
  toPolicyCheck,
  toToolUseEvent,
  type ClaudeCodeHookInput,
} from "@tower/api";
import type { Approval, PolicyDecision } from "@tower/shared";
import { describe, expect, it } from "vitest";

const SESSION = "00893aaf-19fa-41d2-8238-13269b9b3ca0";

function fixture(name: string, changes: Record<string, unknown> = {}): ClaudeCodeHookInput {
  const url = new URL(`./fixtures/claude-code/${name}.json`, import.meta.url);
  return ClaudeCodeHookInputSchema.parse({ ...(JSON.parse(readFileSync(url, "utf8")) as object), ...changes });
}

const checkOf = (payload: ClaudeCodeHookInput) => {
  const mapped = toPolicyCheck(payload, "claude-code");
  if (!mapped.ok) throw new Error(mapped.reason);
  return mapped.input;
};

describe("PreToolUse → policy check", () => {
  it("maps each recorded tool call to tool, operation, path, cwd and input", () => {
    expect(checkOf(fixture("pre-tool-use-bash"))).toEqual({
      agent: "claude-code",
      tool: "Bash",
      operation: "shell",
      cwd: "/home/user/my-project",
      // The command only: description and timeout do not change what runs, nor the approval.
      input: { command: "npm test", claude_session_id: SESSION },
      // The same tool call sent again is answered the same.
      checkId: "toolu_01ABC123DEF456GHI789JKL0",
    });
    expect(checkOf(fixture("pre-tool-use-write"))).toMatchObject({
      tool: "Write",
      operation: "file_write",
      path: "/home/user/my-project/src/greeting.ts",
      input: { file_path: "/home/user/my-project/src/greeting.ts", content: 'export const greeting = "hello";\n' },
    });
    expect(checkOf(fixture("pre-tool-use-edit"))).toMatchObject({
      tool: "Edit",
      operation: "file_write",
      path: "/home/user/my-project/src/app.ts",
    });
    expect(checkOf(fixture("pre-tool-use-read"))).toMatchObject({
      tool: "Read",
      operation: "file_read",
      path: "/home/user/my-project/README.md",
    });
    // A cwd Tower cannot use is left out (the absolute path then counts as outside the workspace).
    expect(checkOf(fixture("pre-tool-use-read", { cwd: "my-project" })).cwd).toBeUndefined();
    const mcp = checkOf(fixture("pre-tool-use-mcp"));
    expect(mcp).toMatchObject({ tool: "mcp__github__search_repositories", operation: "mcp" });
    expect(mcp.path).toBeUndefined();
  });

  it("Glob and Grep check their path; NotebookEdit its notebook_path", () => {
    const grep = fixture("pre-tool-use-read", {
      tool_name: "Grep",
      tool_input: { pattern: "TODO", path: "/home/user/my-project/src" },
    });
    expect(checkOf(grep)).toMatchObject({ operation: "file_read", path: "/home/user/my-project/src" });
    const notebook = fixture("pre-tool-use-read", {
      tool_name: "NotebookEdit",
      tool_input: { notebook_path: "/home/user/my-project/a.ipynb", new_source: "print(1)" },
    });
    expect(checkOf(notebook)).toMatchObject({ operation: "file_write", path: "/home/user/my-project/a.ipynb" });
  });

  it("binds an approval to a long content by its digest, within the input limit", () => {
    const content = "a".repeat(100_000);
    const input = checkOf(fixture("pre-tool-use-write", { tool_input: { file_path: "/tmp/x", content } })).input!;
    expect(JSON.stringify(input).length).toBeLessThan(16_384);
    expect(input.content).toMatch(/^\[sha256:[0-9a-f]{64}, 100000 chars\] a+…$/);
    const other = checkOf(
      fixture("pre-tool-use-write", { tool_input: { file_path: "/tmp/x", content: `${content}b` } }),
    ).input!;
    expect(other.content).not.toBe(input.content);
  });
});

const decision = (overrides: Partial<PolicyDecision>): PolicyDecision => ({
  decision: "allowed",
  reason: "No rule matched",
  source: "default",
  check: null,
  ruleId: null,
  policyVersion: 1,
  inputHash: "h",
  approvalId: null,
  expiresAt: null,
  ...overrides,
});

describe("decision → Claude Code's hook output", () => {
  it("allowed → allow, denied → deny, requires approval → ask (with the approval)", () => {
    expect(preToolUseAnswer(decision({}))).toEqual({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "allow",
        permissionDecisionReason: "Tower: No rule matched",
      },
    });
    expect(preToolUseAnswer(decision({ decision: "denied", reason: "No" })).hookSpecificOutput.permissionDecision).toBe(
      "deny",
    );
    const ask = preToolUseAnswer(
      decision({ decision: "requires_approval", reason: "Needs a person", approvalId: "a1" }),
    );
    expect(ask.hookSpecificOutput).toMatchObject({
      permissionDecision: "ask",
      permissionDecisionReason: "Tower: Needs a person (approval a1 is pending in Tower)",
    });
  });

  it("an expired, denied or cancelled approval → deny, saying which", () => {
    const approval = {
      id: "a1",
      status: "expired",
      expiresAt: Date.UTC(2026, 0, 1),
      deciderName: null,
      comment: "",
    } as Approval;
    expect(approvalRefusal(approval).hookSpecificOutput).toEqual({
      hookEventName: "PreToolUse",
      permissionDecision: "deny",
      permissionDecisionReason: "Tower: Approval a1 expired at 2026-01-01T00:00:00Z without a decision",
    });
    expect(approvalRefusal({ ...approval, status: "cancelled" }).hookSpecificOutput.permissionDecisionReason).toMatch(
      /cancelled/,
    );
    expect(
      approvalRefusal({ ...approval, status: "denied", deciderName: "Ana" }).hookSpecificOutput
        .permissionDecisionReason,
    ).toBe("Tower: Denied by Ana (approval a1)");
  });
});

describe("PostToolUse → tool_use event", () => {
  it("is idempotent by tool_use_id and keeps a bounded summary", () => {
    const write = toToolUseEvent(fixture("post-tool-use-write"), "claude-code");
    expect(write).toMatchObject({
      kind: "event",
      agent: "claude-code",
      operation: "tool_use",
      target: "Write",
      decision: "allowed",
    });
    expect(toToolUseEvent(fixture("post-tool-use-write"), "claude-code").id).toBe(write.id);
    expect(toToolUseEvent(fixture("post-tool-use-write", { tool_use_id: "toolu_x" }), "claude-code").id).not.toBe(
      write.id,
    );
    const big = toToolUseEvent(
      fixture("post-tool-use-bash", {
        tool_response: { lines: Array.from({ length: 5_000 }, (_, i) => `line ${i} ${"y".repeat(200)}`) },
      }),
      "claude-code",
    );
    expect(Buffer.byteLength(JSON.stringify(big.detail))).toBeLessThanOrEqual(16_384);
    expect(big.detail).toMatchObject({ source: "claude-code", toolUseId: "toolu_01ABC123DEF456GHI789JKL0" });
  });
});
