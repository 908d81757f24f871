import { apiKeys } from "@tower/db";
import { API_KEY_PREFIX, type Actor, type ApiKeyCreateInput } from "@tower/shared";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Deps } from "../context";
import { DomainError } from "../errors";
import { appendAudit } from "./audit-service";
import { newId, randomToken, sha256 } from "./tokens";
import { prepared, slot } from "./prepared";

/** lastUsedAt is refreshed at most this often, so a busy key does not write on every request. */
const LAST_USED_GRANULARITY_MS = 60_000;

/** Creates a key; the secret is returned this once and only its hash is stored. */
export function createApiKey(deps: Deps, projectId: string, input: ApiKeyCreateInput, actor: Actor) {
  const { db, clock } = deps;
  const secret = `${API_KEY_PREFIX}${randomToken(30)}`;
  const row = {
    id: newId(),
    projectId,
    name: input.name,
    prefix: secret.slice(0, API_KEY_PREFIX.length + 6),
    secretHash: sha256(secret),
    scopes: [...new Set(input.scopes)],
    createdBy: actor.type === "user" ? actor.id : null,
    createdAt: clock.now(),
  };
  db.transaction((tx) => {
    tx.insert(apiKeys).values(row).run();
    const detail = { prefix: row.prefix, scopes: row.scopes };
    appendAudit(deps, tx, projectId, actor, { operation: "apiKey.create", target: row.name, detail }, row.createdAt);
  });
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: row.createdAt,
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
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
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

/** The live key for a secret, or undefined when it is unknown or revoked. */
export function resolveApiKey({ db, clock }: Deps, secret: string) {
  if (!secret.startsWith(API_KEY_PREFIX)) return undefined;
  const key = prepared(db, "apiKey.bySecret", () =>
    db
      .select({
        id: apiKeys.id,
        projectId: apiKeys.projectId,
        scopes: apiKeys.scopes,
        lastUsedAt: apiKeys.lastUsedAt,
      })
      .from(apiKeys)
      .where(and(eq(apiKeys.secretHash, slot("hash")), isNull(apiKeys.revokedAt)))
      .prepare(),
  ).get({ hash: sha256(secret) });
  if (!key) return undefined;
  const now = clock.now();
  if (key.lastUsedAt === null || now - key.lastUsedAt > LAST_USED_GRANULARITY_MS) {
    db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, key.id)).run();
  }
  return key;
}
