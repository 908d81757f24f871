import { closeSync, existsSync, openSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema";
import { hookPrepare, hookTransactions, type DriverHooks } from "./driver-hooks";

export type TowerDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export interface DbHandle {
  db: TowerDb;
  sqlite: Database.Database;
  close(): void;
}

/**
 * The committed SQL migrations. Run from source (this module is `src/client.ts`), they are this
 * package's `migrations/` folder. Compiled into a bundle (`apps/server/dist/`, where this code lands
 * in a chunk at the top of the folder), they are `migrations/` beside the chunk: the server's build
 * copies them there.
 */
export const migrationsFolder = fileURLToPath(
  new URL(import.meta.url.endsWith(".ts") ? "../migrations" : "./migrations", import.meta.url),
);

/** How this connection shares the file's write lock with another (see driver-hooks.ts). */
export type DbOptions = Pick<DriverHooks, "writesFirst" | "yieldsTo"> & {
  /** Called with the text of every statement this connection runs (better-sqlite3's `verbose`). */
  trace?: (sql: string) => void;
};

/**
 * Opens (or creates) the SQLite file, applies pragmas for a busy server and runs every committed
 * migration before anything else touches it.
 */
export function createDb(file: string, { writesFirst, yieldsTo, trace }: DbOptions = {}): DbHandle {
  createOwnerOnly(file);
  const sqlite = new Database(file, trace ? { verbose: (sql) => trace(String(sql)) } : undefined);
  sqlite.pragma("journal_mode = WAL");
  // FULL: a commit that was acknowledged survives power loss, not only a process crash.
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  // Temporary b-trees (every RETURNING clause buffers its rows in one) in memory, not in a file:
  // an insert or update with RETURNING cost twice as much with them on disk.
  sqlite.pragma("temp_store = MEMORY");
  hookPrepare(sqlite, { writesFirst });
  const db = drizzle(sqlite, { schema });
  hookTransactions(db, sqlite, { writesFirst, yieldsTo });
  migrate(db, { migrationsFolder });
  return {
    db,
    sqlite,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}

/**
 * The file holds password and key hashes and the audit trail: it is created with mode 0600, readable
 * and writable by its owner only (SQLite's own default is 0644). SQLite gives the -wal and -shm files
 * it creates next to it the database file's mode. An existing file keeps its mode.
 *
 * An existing file is never opened here: closing any descriptor of the file drops every POSIX lock
 * the process holds on it (the server's other connections' too), and an outside reader
 * (`sqlite3 tower.sqlite …`, a backup) then believed itself the last connection, checkpointed and
 * deleted the live WAL, losing what the server had acknowledged since.
 */
function createOwnerOnly(file: string) {
  if (file === ":memory:" || file === "" || existsSync(file)) return;
  try {
    closeSync(openSync(file, "wx", 0o600));
  } catch (error) {
    // Created in between by another connection: nothing to do.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/** A transaction handle; services that must run inside one take this. */
export type TowerTx = Parameters<Parameters<TowerDb["transaction"]>[0]>[0];

/** Either the database or an open transaction: reads and writes look the same on both. */
export type DbOrTx = TowerDb | TowerTx;
