import { apiKeys } from "@tower/db";
import { API_KEY_PREFIX, apiKeyState, type Actor, type ApiKeyCreateInput, type ApiKeyScope } from "@tower/shared";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Deps } from "../context";
import { DomainError } from "../errors";
import { appendAudit } from "./audit-service";
import { newId, randomToken, sha256 } from "./tokens";
import { prepared, slot } from "./prepared";
import { assertRoomForApiKey } from "./project-caps";

/** lastUsedAt is refreshed at most this often, so a busy key does not write on every request. */
const LAST_USED_GRANULARITY_MS = 60_000;

const DAY_MS = 86_400_000;

/** Where the holder of a dead key can get a new one. */
const NEW_KEY_HINT = "an admin can create a new one in Settings → API keys";

/** Creates a key; the secret is returned this once and only its hash is stored. */
export function createApiKey(deps: Deps, projectId: string, input: ApiKeyCreateInput, actor: Actor) {
  assertRoomForApiKey(deps.db, projectId, deps.clock.now());
  const { db, clock } = deps;
  const secret = `${API_KEY_PREFIX}${randomToken(30)}`;
  const row = {
    id: newId(),
    projectId,
    name: input.name,
    prefix: secret.slice(0, API_KEY_PREFIX.length + 6),
    secretHash: sha256(secret),
    scopes: input.scopes,
    agentNames: input.scopes.includes("agent") ? (input.agentNames ?? []) : null,
    createdBy: actor.type === "user" ? actor.id : null,
    createdAt: clock.now(),
    expiresAt: null as number | null,
  };
  if (input.expiresInDays != null) row.expiresAt = row.createdAt + input.expiresInDays * DAY_MS;
  db.transaction((tx) => {
    tx.insert(apiKeys).values(row).run();
    const expiresAt = row.expiresAt === null ? null : new Date(row.expiresAt).toISOString();
    const detail = { prefix: row.prefix, scopes: row.scopes, agentNames: row.agentNames, expiresAt };
    appendAudit(deps, tx, projectId, actor, { operation: "apiKey.create", target: row.name, detail }, row.createdAt);
  });
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    agentNames: row.agentNames,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    secret,
  };
}

export function listApiKeys({ db }: Deps, projectId: string) {
  return db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      scopes: apiKeys.scopes,
      agentNames: apiKeys.agentNames,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
      expiresAt: apiKeys.expiresAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.projectId, projectId))
    .orderBy(desc(apiKeys.createdAt))
    .all();
}

export function revokeApiKey(deps: Deps, projectId: string, id: string, actor: Actor): void {
  const { db, clock, bus } = deps;
  const now = clock.now();
  db.transaction((tx) => {
    const key = tx
      .select({ name: apiKeys.name, prefix: apiKeys.prefix })
      .from(apiKeys)
      .where(and(eq(apiKeys.id, id), eq(apiKeys.projectId, projectId), isNull(apiKeys.revokedAt)))
      .get();
    if (!key) throw new DomainError("NOT_FOUND", "API key not found or already revoked");
    tx.update(apiKeys).set({ revokedAt: now }).where(eq(apiKeys.id, id)).run();
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "apiKey.revoke", target: key.name, detail: { prefix: key.prefix } },
      now,
    );
  });
  bus.publishRevocation(id);
}

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
export function resolveApiKey({ db, clock }: Deps, secret: string): ApiKeyResolution {
  const unknown = {
    ok: false,
    reason: `This API key is unknown: check that it was copied whole, or ${NEW_KEY_HINT}`,
  } as const;
  if (!secret.startsWith(API_KEY_PREFIX)) return unknown;
  const key = prepared(db, "apiKey.bySecret", () =>
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
