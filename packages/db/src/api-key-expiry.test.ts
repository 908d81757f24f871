/**
 * Migrations of API keys: a database an older Tower left behind picks them up at start, and its
 * keys keep working as they did.
 */
import { eq } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client";
import { databaseMigratedThrough } from "./migration-fixtures";
import { apiKeys, projects } from "./schema";

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

function oldDatabaseWithKeys(tag: string, keys: { id: string; scopes: string }[]) {
  const { file, old, cleanup } = databaseMigratedThrough(tag);
  old.prepare("insert into projects (id, name, created_at) values ('p1', 'P', 1)").run();
  const insert = old.prepare(
    `insert into api_keys (id, project_id, name, prefix, secret_hash, scopes, created_at)
     values (?, 'p1', 'old key', 'tower_abcdef', ?, ?, 1)`,
  );
  for (const key of keys) insert.run(key.id, `hash-${key.id}`, key.scopes);
  old.close();
  const handle: DbHandle = createDb(file);
  cleanups.push(() => handle.close(), cleanup);
  return handle;
}

it("a database from before key expiry gets the column at start; its keys never expire", () => {
  const handle = oldDatabaseWithKeys("0005_rollup-revision-triggers", [{ id: "k1", scopes: '["read"]' }]);
  expect(handle.db.select().from(projects).all()).toHaveLength(1);
  const key = handle.db.select().from(apiKeys).where(eq(apiKeys.id, "k1")).get();
  expect(key).toMatchObject({ name: "old key", scopes: ["read"], revokedAt: null, expiresAt: null });
  handle.db.update(apiKeys).set({ expiresAt: 5 }).where(eq(apiKeys.id, "k1")).run();
  expect(handle.db.select({ at: apiKeys.expiresAt }).from(apiKeys).get()?.at).toBe(5);
});

it("keys from before agent scopes: write becomes manage (what agents and imports used), read stays read", () => {
  const handle = oldDatabaseWithKeys("0006_api-key-expiry", [
    { id: "both", scopes: '["read","write"]' },
    { id: "write", scopes: '["write"]' },
    { id: "read", scopes: '["read"]' },
  ]);
  const scopes = Object.fromEntries(
    handle.db
      .select({ id: apiKeys.id, scopes: apiKeys.scopes, agentNames: apiKeys.agentNames })
      .from(apiKeys)
      .all()
      .map((key) => [key.id, [key.scopes, key.agentNames]]),
  );
  expect(scopes).toEqual({ both: [["manage"], null], write: [["manage"], null], read: [["read"], null] });
  expect(handle.db.select({ open: projects.agentSelfRegistration }).from(projects).get()).toEqual({ open: true });
});
