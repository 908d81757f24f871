// Web push, the zod-free half: the kinds of notification a person can turn on, what a notification
// carries to the service worker, and the rules for the server's contact subject. Schemas are in
// ../push.ts; sending is the server's (packages/api/src/push).

/** What a device can receive, each turned on or off per device (all on by default). */
export const PUSH_KINDS = ["approvals", "budget", "agentErrors"] as const;
export type PushKind = (typeof PUSH_KINDS)[number];
export type PushPreferences = Record<PushKind, boolean>;

export const DEFAULT_PUSH_PREFERENCES: PushPreferences = { approvals: true, budget: true, agentErrors: true };

export const PUSH_LIMITS = {
  /** Real endpoints (FCM, Mozilla autopush, Apple, Windows) are 100–600 characters. */
  endpointLength: 2_048,
  deviceLabelLength: 100,
  /** A notification's JSON payload, bytes: well under the 4 KB every push service takes. */
  payloadBytes: 1_024,
  titleLength: 100,
  bodyLength: 240,
} as const;

/** One device (browser) a person turned notifications on for. The endpoint itself is never sent back. */
export interface PushDevice {
  id: string;
  deviceLabel: string;
  /** The push service's host (`fcm.googleapis.com`, `web.push.apple.com` …), to tell devices apart. */
  service: string;
  preferences: PushPreferences;
  createdAt: number;
  /** When a notification last reached the push service for it; null before the first. */
  lastUsedAt: number | null;
  /** With `push.list({ currentEndpoint })`: whether this is the asking browser's own subscription. */
  current: boolean;
}

/** What the dashboard needs before it subscribes: the key to subscribe with, and whether anything will come. */
export interface PushConfig {
  enabled: boolean;
  /** The VAPID public key (base64url, 65 bytes uncompressed P-256) for `applicationServerKey`; null: none. */
  publicKey: string | null;
  /** When not enabled: why, in words an administrator can act on. */
  reason: string | null;
}

/**
 * What every notification carries, as JSON, for the service worker to show (`title`, `body`), to
 * open on click (`url`, a path of the dashboard) and to replace an older one by (`tag`, the same
 * value as the push's Topic). A push always carries one: browsers revoke silent subscriptions.
 */
export type PushPayload =
  | (PushPayloadBase & {
      kind: "approval";
      approvalId: string;
      projectId: string;
      /** When the approval stops waiting (epoch ms): after this the notification is stale. */
      expiresAt: number;
    })
  | (PushPayloadBase & { kind: "budget" | "agentError"; agentId: string; projectId: string })
  | (PushPayloadBase & { kind: "test" });

interface PushPayloadBase {
  title: string;
  body: string;
  url: string;
  tag: string;
}

/**
 * Why `subject` cannot be the VAPID contact (`sub`), or null when it can: a `mailto:` address or an
 * `https:` URL that reaches a person. Push services (Apple's among them) refuse a localhost one, and
 * a plain `http:` one is refused by the spec (RFC 8292 §2.1).
 */
export function pushSubjectProblem(subject: string): string | null {
  let url: URL;
  try {
    url = new URL(subject);
  } catch {
    return `"${subject}" is not a URL: use mailto:you@example.com or an https: URL`;
  }
  if (url.protocol !== "mailto:" && url.protocol !== "https:") {
    return `must start with mailto: or https: (not ${url.protocol}), e.g. mailto:ops@example.com`;
  }
  const host = url.protocol === "mailto:" ? (url.pathname.split("@")[1] ?? "") : url.hostname;
  if (!host) return `"${subject}" names no ${url.protocol === "mailto:" ? "email domain" : "host"}`;
  if (isLocalHost(host)) {
    return `must reach you from the internet; ${host} is this machine (push services refuse it), e.g. mailto:ops@example.com`;
  }
  return null;
}

function isLocalHost(host: string): boolean {
  const name = host
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  return (
    name === "localhost" ||
    name.endsWith(".localhost") ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) ||
    name === "::1" ||
    name === "0:0:0:0:0:0:0:1" ||
    name === "0.0.0.0"
  );
}
