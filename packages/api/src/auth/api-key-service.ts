import { apiKeys } from "@tower/db";
import { API_KEY_PREFIX, type Actor, type ApiKeyCreateInput } from "@tower/shared";
import { and, desc, eq, isNull } from "drizzle-orm";
import { appendAudit } from "../core/audit-chain";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { assertRoomForApiKey } from "../core/project-caps";
import { newId, randomToken, sha256 } from "../core/tokens";
import { peopleChange } from "./people-changes";

const DAY_MS = 86_400_000;

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
  const change = db.transaction((tx) => {
    tx.insert(apiKeys).values(row).run();
    const expiresAt = row.expiresAt === null ? null : new Date(row.expiresAt).toISOString();
    const detail = { prefix: row.prefix, scopes: row.scopes, agentNames: row.agentNames, expiresAt };
    appendAudit(deps, tx, projectId, actor, { operation: "apiKey.create", target: row.name, detail }, row.createdAt);
    return peopleChange(deps.state, tx, projectId, "apiKeys", row.id, row.createdAt);
  });
  publishChanges(deps, [change]);
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
  const change = db.transaction((tx) => {
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
    return peopleChange(deps.state, tx, projectId, "apiKeys", id, now);
  });
  publishChanges(deps, [change]);
  bus.publishRevocation(id);
}
