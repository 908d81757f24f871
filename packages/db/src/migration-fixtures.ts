import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { migrationsFolder } from "./client";

/**
 * A new database file migrated only up to the migration `tag`, as an older Tower left it, for tests
 * of what a later migration does to existing data. `cleanup` removes its folder.
 */
export function databaseMigratedThrough(tag: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-migrated-"));
  const migrations = path.join(dir, "migrations");
  cpSync(migrationsFolder, migrations, { recursive: true });
  const journalFile = path.join(migrations, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
  const through = journal.entries.findIndex((entry) => entry.tag === tag);
  if (through < 0) throw new Error(`No migration tagged ${tag}`);
  journal.entries = journal.entries.slice(0, through + 1);
  writeFileSync(journalFile, JSON.stringify(journal));
  const file = path.join(dir, "old.sqlite");
  const old = new Database(file);
  migrate(drizzle(old), { migrationsFolder: migrations });
  return { file, old, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
