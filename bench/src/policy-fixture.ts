/**
 * The policy the policy benchmark decides with: 50 rules of every shape, the deciding ones last, so
 * most requests walk every rule before the default (the slow path of first-match-wins).
 */
import type { PolicyDocument, PolicyRule } from "@tower/shared";

export const BENCH_TOOLS = ["Read", "Write", "Edit", "Bash", "Grep", "web.search", "mcp__github__create_issue"];

export function benchPolicy(agentNames: readonly string[]): PolicyDocument {
  const rules: PolicyRule[] = [];
  for (let i = 0; i < 46; i++) {
    const shapes: PolicyRule["match"][] = [
      { agents: [`other-agent-${i}`], tools: ["Bash"] },
      { roles: [`role-${i}`], paths: [`secrets-${i}/**`] },
      { tags: [`tag-${i}`], operations: ["api_call"] },
      { tools: [`mcp__server${i}__*`], costAbove: 100 + i },
    ];
    rules.push({
      id: `rule-${i}`,
      description: "",
      match: shapes[i % shapes.length]!,
      effect: i % 3 === 0 ? "deny" : "allow",
      reason: `rule ${i}`,
    });
  }
  rules.push(
    { id: "no-env", description: "", match: { paths: ["**/.env", "**/*.pem"] }, effect: "deny", reason: "secrets" },
    {
      id: "ask-deploy",
      description: "",
      match: { tools: ["deploy*"] },
      effect: "require_approval",
      reason: "deploys need a person",
    },
    { id: "costly", description: "", match: { costAbove: 5 }, effect: "require_approval", reason: "over $5" },
    {
      id: "fleet-bash",
      description: "",
      match: { agents: [...agentNames], tools: ["Bash"], operations: ["shell"] },
      effect: "deny",
      reason: "no shell",
    },
  );
  return {
    defaultEffect: "allow",
    defaultReason: "allowed by default",
    defaultTtlSeconds: 900,
    approverRole: "operator",
    rules,
  };
}

/** The i-th request of a run: tools, paths and inputs vary; none needs approval (that path is a write). */
export function benchRequest(agent: string, i: number) {
  const tool = BENCH_TOOLS[i % BENCH_TOOLS.length]!;
  return {
    agent,
    tool,
    operation: "tool_use",
    path: `src/module-${i % 100}/file-${i % 7}.ts`,
    input: { file_path: `src/module-${i % 100}/file-${i % 7}.ts`, n: i % 1000 },
    estimatedCostUsd: (i % 10) / 10,
  };
}
