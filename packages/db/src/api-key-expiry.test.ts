/**
 * API keys gained an optional expiry (migration 0006). A database an older Tower left behind must
 * pick the migration up at start, and its keys must stay as they were: never expiring.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { eq } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { createDb, migrationsFolder, type DbHandle } from "./client";
import { apiKeys, projects } from "./schema";

const handles: { close(): void }[] = [];
const dirs: string[] = [];
afterEach(() => {
  handles.splice(0).forEach((handle) => handle.close());
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

it("a database from before key expiry gets the column at start; its keys never expire", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-key-expiry-"));
  dirs.push(dir);
  // The committed migrations up to the one before expiry, as the older Tower shipped them.
  const migrations = path.join(dir, "migrations");
  cpSync(migrationsFolder, migrations, { recursive: true });
  const journalFile = path.join(migrations, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
  const expiry = journal.entries.findIndex((entry) => entry.tag === "0006_api-key-expiry");
  expect(expiry).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, expiry);
  writeFileSync(journalFile, JSON.stringify(journal));

  const file = path.join(dir, "old.sqlite");
  const old = new Database(file);
  handles.push(old);
  migrate(drizzle(old), { migrationsFolder: migrations });
  old.prepare("insert into projects (id, name, created_at) values ('p1', 'P', 1)").run();
  old
    .prepare(
      `insert into api_keys (id, project_id, name, prefix, secret_hash, scopes, created_at)
       values ('k1', 'p1', 'old key', 'tower_abcdef', 'hash', '["read"]', 1)`,
    )
    .run();
  old.close();

  const handle: DbHandle = createDb(file);
  handles.push(handle);
  expect(handle.db.select().from(projects).all()).toHaveLength(1);
  const key = handle.db.select().from(apiKeys).where(eq(apiKeys.id, "k1")).get();
  expect(key).toMatchObject({ name: "old key", scopes: ["read"], revokedAt: null, expiresAt: null });
  handle.db.update(apiKeys).set({ expiresAt: 5 }).where(eq(apiKeys.id, "k1")).run();
  expect(handle.db.select({ at: apiKeys.expiresAt }).from(apiKeys).get()?.at).toBe(5);
});
