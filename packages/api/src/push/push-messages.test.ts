import { PUSH_LIMITS, type Approval } from "@tower/shared";
import { describe, expect, it } from "vitest";
import { approvalPayload, payloadJson, pushTopic } from "./push-messages";
import { deviceLabelFrom } from "./push-rows";

const approval = (over: Partial<Approval> = {}): Approval => ({
  id: "01939f0e-5c2a-7bbb-8d51-9a1f7a3e2b10",
  projectId: "p1",
  agentId: "a1",
  agentName: "scout",
  sessionId: null,
  tool: "Bash",
  operation: "tool_use",
  path: "src/index.ts",
  input: {},
  inputHash: "h",
  reason: "Shell commands need a person",
  ruleId: "ask",
  policyVersion: 1,
  estimatedCostUsd: null,
  status: "pending",
  createdAt: 0,
  expiresAt: 60_000,
  decidedAt: null,
  deciderId: null,
  deciderName: null,
  comment: "",
  grantId: null,
  requestedWith: null,
  requestedById: null,
  requestedByName: null,
  ...over,
});

describe("push messages", () => {
  it("topics are at most 32 characters of URL-safe base64, stable, and differ per subject", () => {
    const topic = pushTopic("approval", approval().id);
    expect(topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(pushTopic("approval", approval().id)).toBe(topic);
    expect(pushTopic("approval", "another")).not.toBe(topic);
    expect(approvalPayload(approval()).tag).toBe(topic);
  });

  it("a payload stays under 1 KB however long the agent's names, paths and reasons are", () => {
    const huge = approval({
      agentName: "🤖".repeat(200),
      tool: "t".repeat(200),
      path: "é/".repeat(2_000),
      reason: '"\\'.repeat(3_000),
    });
    const json = payloadJson(approvalPayload(huge));
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(PUSH_LIMITS.payloadBytes);
    const parsed = JSON.parse(json) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      kind: "approval",
      url: `/approve/${huge.id}?project=${encodeURIComponent(huge.projectId)}`,
      approvalId: huge.id,
      expiresAt: 60_000,
    });
    expect(parsed.title).toMatch(/…$/);
  });

  it("labels devices from their user agent", () => {
    expect(
      deviceLabelFrom(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
      ),
    ).toBe("Safari on iPhone");
    expect(deviceLabelFrom("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0")).toBe(
      "Firefox on Windows",
    );
    expect(deviceLabelFrom(null)).toBe("Unknown device");
  });
});
