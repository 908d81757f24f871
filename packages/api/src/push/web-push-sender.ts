import type { Agent } from "node:https";
import webpush from "web-push";
import type { PushSender, PushSendOptions, PushSendResult, PushTarget } from "../core/ports";
import { pushEndpointProblem } from "./push-services";

export interface VapidKeys {
  /** Base64url, 65 bytes: an uncompressed P-256 point. */
  publicKey: string;
  /** Base64url, 32 bytes. Never logged. */
  privateKey: string;
}

export interface WebPushSenderOptions {
  vapid: VapidKeys;
  /** The VAPID contact (`mailto:` or `https:`, checked by the app); null: push is off. */
  subject: string | null;
  /** Why push is off when `subject` is null, as an administrator should read it. */
  whyOff?: string;
  /**
   * The agent requests go out on. Tests pass one that trusts their loopback push service's
   * self-signed certificate; the server passes none (Node's default, verifying as always).
   */
  agent?: Agent;
  /** Requests in flight at once; the rest wait in line. */
  maxInFlight?: number;
  /** Requests waiting past this many are dropped (and said so), never piled up. */
  maxQueued?: number;
  timeoutMs?: number;
  /** A failure to reach the service, a 429 or a 5xx is tried once more after this long. */
  retryDelayMs?: number;
  /** Push services to send to besides the browsers' own (host names; tests: their loopback one). */
  services?: readonly string[];
}

/** The VAPID key pair a fresh install signs with (web-push makes it: a P-256 key, base64url). */
export function generateVapidKeys(): VapidKeys {
  const { publicKey, privateKey } = webpush.generateVAPIDKeys();
  return { publicKey, privateKey };
}

/**
 * Web push through the `web-push` library (payload encryption, VAPID JWT, request), with at most
 * `maxInFlight` requests at once so that an approval asked of a large project never opens hundreds
 * of sockets, and nothing that asked for a push ever waits for it.
 */
export function createWebPushSender({
  vapid,
  subject,
  whyOff = "No contact subject is configured for web push",
  agent,
  maxInFlight = 8,
  maxQueued = 1_000,
  timeoutMs = 10_000,
  retryDelayMs = 1_000,
  services = [],
}: WebPushSenderOptions): PushSender {
  let inFlight = 0;
  let retrying = 0;
  const line: (() => void)[] = [];
  const idleWaiters: (() => void)[] = [];

  const settle = () => {
    if (inFlight > 0 || line.length > 0 || retrying > 0) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  };

  async function request(target: PushTarget, payload: string, options: PushSendOptions): Promise<PushSendResult> {
    if (subject === null) return { outcome: "skipped", why: "unwanted" };
    // A subscription kept from before its service was allowed (or after it was removed) is dead.
    if (pushEndpointProblem(target.endpoint, services) !== null) return { outcome: "gone", statusCode: 0 };
    try {
      const response = await webpush.sendNotification(target, payload, {
        vapidDetails: { subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
        TTL: Math.max(0, Math.floor(options.ttlSeconds)),
        topic: options.topic,
        urgency: options.urgency,
        contentEncoding: "aes128gcm",
        timeout: timeoutMs,
        ...(agent ? { agent } : {}),
      });
      return { outcome: "sent", statusCode: response.statusCode };
    } catch (error) {
      if (error instanceof webpush.WebPushError) {
        if (error.statusCode === 404 || error.statusCode === 410)
          return { outcome: "gone", statusCode: error.statusCode };
        return { outcome: "refused", statusCode: error.statusCode, body: String(error.body ?? "").slice(0, 200) };
      }
      return { outcome: "failed", error: (error as Error).message };
    }
  }

  /** Runs `task` in one of the `maxInFlight` slots, waiting in line for one; null when the line is full. */
  async function inSlot<T>(task: () => Promise<T>): Promise<T | null> {
    if (inFlight >= maxInFlight) {
      if (line.length >= maxQueued) return null;
      await new Promise<void>((resolve) => line.push(resolve));
    } else inFlight++;
    try {
      return await task();
    } finally {
      const next = line.shift();
      // The slot passes straight to the next in line, so `inFlight` counts it throughout.
      if (next) next();
      else inFlight--;
      settle();
    }
  }

  const transient = (result: PushSendResult) =>
    result.outcome === "failed" ||
    (result.outcome === "refused" && (result.statusCode === 429 || result.statusCode >= 500));

  async function attempt(target: PushTarget, payload: string, options: PushSendOptions): Promise<PushSendResult> {
    const result = await inSlot(() =>
      options.stillWanted && !options.stillWanted()
        ? Promise.resolve<PushSendResult>({ outcome: "skipped", why: "unwanted" })
        : request(target, payload, options),
    );
    return result ?? { outcome: "skipped", why: "queue full" };
  }

  return {
    publicKey: vapid.publicKey,
    disabledReason: subject === null ? whyOff : null,
    endpointProblem: (endpoint) => pushEndpointProblem(endpoint, services),
    async send(target, payload, options) {
      const first = await attempt(target, payload, options);
      if (!transient(first)) return first;
      // Once more, a little later (outside any slot while waiting); a second failure is final.
      retrying++;
      try {
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs).unref());
        const second = await attempt(target, payload, options);
        return second.outcome === "skipped" ? first : second;
      } finally {
        retrying--;
        settle();
      }
    },
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settle();
      });
    },
  };
}
