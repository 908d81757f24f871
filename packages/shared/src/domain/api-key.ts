/** `read` acts as a viewer; `write` as an operator (register agents, change them, report). */
export const API_KEY_SCOPES = ["read", "write"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Every key starts with this, so leaked keys are easy to find with secret scanners. */
export const API_KEY_PREFIX = "tower_";

/** The lifetimes the dashboard offers; the API takes any whole number of days up to the maximum. */
export const API_KEY_EXPIRY_DAYS = [7, 30, 90, 365] as const;
export const API_KEY_MAX_EXPIRY_DAYS = 365;

export type ApiKeyState = "active" | "expired" | "revoked";

/** Revocation wins over expiry: it is the more deliberate of the two. */
export function apiKeyState(key: { revokedAt: number | null; expiresAt: number | null }, now: number): ApiKeyState {
  if (key.revokedAt !== null) return "revoked";
  if (key.expiresAt !== null && key.expiresAt <= now) return "expired";
  return "active";
}
