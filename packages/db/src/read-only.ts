import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import type { DbHandle, TowerDb } from "./client";
import * as schema from "./schema";
import { hookPrepare } from "./driver-hooks";

/**
 * A second, read-only connection to a database another connection has opened and migrated (for a
 * worker thread that only reads). SQLite refuses every write on it, so a bug in the reader can
 * never change the data it checks; WAL lets it read while the server writes.
 */
export function openReadOnlyDb(file: string): DbHandle {
  const sqlite = new Database(file, { readonly: true, fileMustExist: true });
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("temp_store = MEMORY"); // as the writing connection (client.ts)
  hookPrepare(sqlite, {});
  const db = drizzle(sqlite, { schema }) as TowerDb;
  return {
    db,
    sqlite,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}
