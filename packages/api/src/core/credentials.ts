import { apiKeys, sessions } from "@tower/db";
import { API_KEY_PREFIX, apiKeyState, type ApiKeyScope } from "@tower/shared";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Deps } from "./deps";
import { prepared, slot } from "./prepared";
import { sha256 } from "./tokens";

// Whether a session token or an API key authenticates, and until when: what every call (the context)
// and every open stream (access checks) asks. Issuing and revoking them is the auth domain's.

/** A session ends at the latest this long after sign-in, however active it is. */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** A session ends when unused for this long (a call with its cookie counts as use). */
export const SESSION_IDLE_MS = 7 * 24 * 60 * 60 * 1000;
/** Last use is written at most this often, so a busy dashboard does not write on every request. */
const LAST_SEEN_GRANULARITY_MS = 60_000;

/** Last use of a session from before `last_seen_at` existed counts from its creation. */
export const lastSeen = sql<number>`coalesce(${sessions.lastSeenAt}, ${sessions.createdAt})`;

/** The session a cookie's token opens, if it is live (not revoked, not past either lifetime); marks it used. */
export function resolveSession({ db, clock, state }: Deps, token: string): { id: string; userId: string } | undefined {
  const now = clock.now();
  const row = prepared(state, "session.byToken", () =>
    db
      .select({ id: sessions.id, userId: sessions.userId, lastSeen })
      .from(sessions)
      .where(
        and(
          eq(sessions.tokenHash, slot("hash")),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, slot("now")),
          gt(lastSeen, slot("idleSince")),
        ),
      )
      .prepare(),
  ).get({ hash: sha256(token), now, idleSince: now - SESSION_IDLE_MS });
  if (!row) return undefined;
  if (now - row.lastSeen > LAST_SEEN_GRANULARITY_MS) {
    db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, row.id)).run();
  }
  return { id: row.id, userId: row.userId };
}

/**
 * When a live session ends unless it is used again (its idle end, or its absolute end if that
 * comes first); null when it has already ended or was revoked.
 */
export function sessionDeadline({ db, clock, state }: Deps, sessionId: string): number | null {
  const row = prepared(state, "session.deadline", () =>
    db
      .select({ expiresAt: sessions.expiresAt, lastSeen })
      .from(sessions)
      .where(and(eq(sessions.id, slot("id")), isNull(sessions.revokedAt)))
      .prepare(),
  ).get({ id: sessionId });
  if (!row) return null;
  const deadline = Math.min(row.expiresAt, row.lastSeen + SESSION_IDLE_MS);
  return deadline > clock.now() ? deadline : null;
}

/** lastUsedAt is refreshed at most this often, so a busy key does not write on every request. */
const LAST_USED_GRANULARITY_MS = 60_000;

/** Where the holder of a dead key can get a new one. */
const NEW_KEY_HINT = "an admin can create a new one in Settings → API keys";

export type ApiKeyResolution =
  | {
      ok: true;
      id: string;
      projectId: string;
      scopes: ApiKeyScope[];
      agentNames: string[] | null;
      prefix: string;
      expiresAt: number | null;
    }
  /** `reason` is told to the caller: it holds the secret, and it names nothing of any project. */
  | { ok: false; reason: string };

/** Why a revoked or expired key no longer authenticates, or null while it is live at `now`. */
export function apiKeyRejection(key: { revokedAt: number | null; expiresAt: number | null }, now: number) {
  switch (apiKeyState(key, now)) {
    case "revoked":
      return `This API key was revoked on ${new Date(key.revokedAt!).toISOString()}; ${NEW_KEY_HINT}`;
    case "expired":
      return `This API key expired on ${new Date(key.expiresAt!).toISOString()}; ${NEW_KEY_HINT}`;
    case "active":
      return null;
  }
}

/**
 * The key for a secret, or why it does not authenticate (unknown, revoked or expired). Revoked and
 * expired keys are looked up too, so their holder learns which it is rather than "sign in".
 */
export function resolveApiKey({ db, clock, state }: Deps, secret: string): ApiKeyResolution {
  const unknown = {
    ok: false,
    reason: `This API key is unknown: check that it was copied whole, or ${NEW_KEY_HINT}`,
  } as const;
  if (!secret.startsWith(API_KEY_PREFIX)) return unknown;
  const key = prepared(state, "apiKey.bySecret", () =>
    db
      .select({
        id: apiKeys.id,
        projectId: apiKeys.projectId,
        scopes: apiKeys.scopes,
        agentNames: apiKeys.agentNames,
        prefix: apiKeys.prefix,
        lastUsedAt: apiKeys.lastUsedAt,
        revokedAt: apiKeys.revokedAt,
        expiresAt: apiKeys.expiresAt,
      })
      .from(apiKeys)
      .where(eq(apiKeys.secretHash, slot("hash")))
      .prepare(),
  ).get({ hash: sha256(secret) });
  if (!key) return unknown;
  const now = clock.now();
  const rejection = apiKeyRejection(key, now);
  if (rejection) return { ok: false, reason: rejection };
  if (key.lastUsedAt === null || now - key.lastUsedAt > LAST_USED_GRANULARITY_MS) {
    db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, key.id)).run();
  }
  const { id, projectId, scopes, agentNames, prefix, expiresAt } = key;
  return { ok: true, id, projectId, scopes, agentNames, prefix, expiresAt };
}

/** Why the key with this id no longer authenticates, or null while it is live. */
export function apiKeyRejectionById({ db, clock }: Deps, id: string): string | null {
  const key = db
    .select({ revokedAt: apiKeys.revokedAt, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .where(eq(apiKeys.id, id))
    .get();
  // Its project was deleted (keys go with it) while a socket held it.
  if (!key) return `This API key no longer exists; ${NEW_KEY_HINT}`;
  return apiKeyRejection(key, clock.now());
}
