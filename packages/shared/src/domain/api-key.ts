/**
 * What a key may do, by who holds it:
 * - `agent`: what a running agent does (sessions, heartbeats, reports, reading itself), only as the
 *   agents the key is bound to; never changes an agent's tools, scopes or budgets.
 * - `read`: everything a viewer sees.
 * - `manage`: automation that administers agents and teams (an operator), and acts as any agent;
 *   it can disable agents but not enable them again: recovery from the kill switch is for people.
 * - `admin`: what a project admin does, chosen explicitly by an owner.
 */
export const API_KEY_SCOPES = ["agent", "read", "manage", "admin"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** What each scope is for, in the words the dashboard shows. */
export const API_KEY_SCOPE_LABELS: Record<ApiKeyScope, string> = {
  agent: "Agent: runs as the named agents only (sessions, reports); cannot change their profiles",
  read: "Read: sees everything in the project, changes nothing",
  manage: "Manage: automation that creates, edits, imports and disables agents and teams",
  admin: "Admin: everything a project admin can do, including enabling agents again",
};

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
