import { pushSubscriptions } from "@tower/db";
import type { PushDevice, PushKind, PushPreferences } from "@tower/shared";

export type PushSubscriptionRow = typeof pushSubscriptions.$inferSelect;

/** The column that holds each kind's flag. */
export const WANTS_COLUMN = {
  approvals: pushSubscriptions.wantsApprovals,
  budget: pushSubscriptions.wantsBudget,
  agentErrors: pushSubscriptions.wantsAgentErrors,
} as const satisfies Record<PushKind, unknown>;

export function preferencesOf(row: PushSubscriptionRow): PushPreferences {
  return { approvals: row.wantsApprovals, budget: row.wantsBudget, agentErrors: row.wantsAgentErrors };
}

/** Preferences as columns (only those given). */
export function preferenceColumns(preferences: Partial<PushPreferences> | undefined) {
  return {
    wantsApprovals: preferences?.approvals,
    wantsBudget: preferences?.budget,
    wantsAgentErrors: preferences?.agentErrors,
  };
}

/**
 * The push service's host: what logs and Settings show of an endpoint. Its path is a capability
 * (with it and the keys anyone holding our VAPID key reaches the device), so it is never shown.
 */
export function serviceOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return "unknown";
  }
}

export function toDevice(row: PushSubscriptionRow, currentEndpoint?: string): PushDevice {
  return {
    id: row.id,
    deviceLabel: row.deviceLabel,
    service: serviceOf(row.endpoint),
    preferences: preferencesOf(row),
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    current: currentEndpoint !== undefined && currentEndpoint === row.endpoint,
  };
}

/**
 * A short label from a browser's user agent ("Chrome on Android", "Safari on iPhone"), so a person
 * can tell their devices apart without naming them.
 */
export function deviceLabelFrom(userAgent: string | null): string {
  if (!userAgent) return "Unknown device";
  const ua = userAgent;
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /OPR\/|Opera/.test(ua)
      ? "Opera"
      : /Firefox\/|FxiOS/.test(ua)
        ? "Firefox"
        : /SamsungBrowser/.test(ua)
          ? "Samsung Internet"
          : /Chrome\/|CriOS/.test(ua)
            ? "Chrome"
            : /Safari\//.test(ua)
              ? "Safari"
              : "Browser";
  const system = /iPhone/.test(ua)
    ? "iPhone"
    : /iPad/.test(ua)
      ? "iPad"
      : /Android/.test(ua)
        ? "Android"
        : /Windows/.test(ua)
          ? "Windows"
          : /Mac OS X|Macintosh/.test(ua)
            ? "Mac"
            : /CrOS/.test(ua)
              ? "ChromeOS"
              : /Linux/.test(ua)
                ? "Linux"
                : null;
  return system ? `${browser} on ${system}` : browser;
}
