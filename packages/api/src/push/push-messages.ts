import { createHash } from "node:crypto";
import { PUSH_LIMITS, type Approval, type BudgetAlert, type PushPayload } from "@tower/shared";

/**
 * A push's RFC 8030 Topic, stable per subject: a newer push with the same topic replaces an older
 * one the device has not fetched yet, instead of stacking. The Topic header allows at most 32
 * characters of the URL-safe base64 alphabet (a uuid's hyphens are fine, its length is not), so the
 * parts are hashed: 32 characters are 192 bits of SHA-256.
 */
export function pushTopic(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("base64url").slice(0, 32);
}

/** One line, at most `max` characters (an ellipsis marks a cut). */
function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join("")}…`;
}

/**
 * The payload as JSON, within `PUSH_LIMITS.payloadBytes` whatever the agent named things: the body,
 * then the title, is shortened until it fits (push services take 4 KB; small is fast on a phone).
 */
export function payloadJson(payload: PushPayload): string {
  let current: PushPayload = {
    ...payload,
    title: clip(payload.title, PUSH_LIMITS.titleLength),
    body: clip(payload.body, PUSH_LIMITS.bodyLength),
  };
  let json = JSON.stringify(current);
  while (Buffer.byteLength(json) > PUSH_LIMITS.payloadBytes) {
    const body = [...current.body];
    const title = [...current.title];
    current =
      body.length > 20
        ? { ...current, body: clip(current.body, Math.floor(body.length * 0.8)) }
        : { ...current, title: clip(current.title, Math.max(10, Math.floor(title.length * 0.8))) };
    json = JSON.stringify(current);
  }
  return json;
}

export function approvalPayload(approval: Approval): PushPayload {
  const target = approval.path ? `${approval.path}: ` : "";
  return {
    kind: "approval",
    title: `${approval.agentName} asks to use ${approval.tool}`,
    body: `${target}${approval.reason}`,
    url: `/approve/${approval.id}?project=${encodeURIComponent(approval.projectId)}`,
    tag: pushTopic("approval", approval.id),
    approvalId: approval.id,
    projectId: approval.projectId,
    expiresAt: approval.expiresAt,
  };
}

const usd = (value: number) => `$${value.toFixed(2)}`;

export function budgetPayload(alert: BudgetAlert, projectName: string): PushPayload {
  const cost = alert.budget === "cost_per_day";
  return {
    kind: "budget",
    title: `${alert.agentName} used its ${cost ? "daily cost" : "session token"} budget`,
    body: cost
      ? `${usd(alert.used)} of ${usd(alert.limit)} today (UTC) in ${projectName}; further requests are refused`
      : `${alert.used} of ${alert.limit} tokens this session in ${projectName}; further requests are refused`,
    url: `/agents/${alert.agentId}?project=${encodeURIComponent(alert.projectId)}`,
    tag: pushTopic("budget", alert.agentId),
    agentId: alert.agentId,
    projectId: alert.projectId,
  };
}

export function agentErrorPayload(
  agent: { id: string; name: string; projectId: string },
  projectName: string,
): PushPayload {
  return {
    kind: "agentError",
    title: `${agent.name} is in error`,
    body: `The agent's status turned to error in ${projectName}`,
    url: `/agents/${agent.id}?project=${encodeURIComponent(agent.projectId)}`,
    tag: pushTopic("agentError", agent.id),
    agentId: agent.id,
    projectId: agent.projectId,
  };
}

export function testPayload(deviceId: string, deviceLabel: string): PushPayload {
  return {
    kind: "test",
    title: "Tower notifications work",
    body: `This is a test notification for ${deviceLabel}`,
    url: "/settings",
    tag: pushTopic("test", deviceId),
  };
}
