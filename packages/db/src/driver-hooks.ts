import type Database from "better-sqlite3";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { StatementCache } from "./statement-cache";
import { gateStatement, type WriteGate } from "./write-gate";

/**
 * Every driver method Tower replaces, in one place and in one order. Nothing else in the repository
 * assigns `sqlite.prepare` or `db.transaction`.
 */
export interface DriverHooks {
  /** Statements kept compiled by their text (0: no cache). */
  maxStatements?: number;
  /** This connection's writes go first (the server's, when the ingest writer thread shares the file). */
  writesFirst?: WriteGate;
  /** This connection waits, before each transaction, while the other one writes (the writer thread's). */
  yieldsTo?: WriteGate;
}

/**
 * `prepare` (better-sqlite3): compile, or take from the statement cache → gate the writes. The
 * cache comes first so a statement is gated once and handed out gated from then on.
 */
export function hookPrepare(sqlite: Database.Database, { maxStatements = 500, writesFirst }: DriverHooks): void {
  const compile = sqlite.prepare.bind(sqlite) as (source: string) => Database.Statement;
  const cache = maxStatements > 0 ? new StatementCache(maxStatements) : undefined;
  const prepare = cache ? (source: string) => cache.get(source, compile) : compile;
  const hooked = writesFirst ? (source: string) => gateStatement(prepare(source), sqlite, writesFirst) : prepare;
  sqlite.prepare = hooked as Database.Database["prepare"];
}

/**
 * `transaction` (Drizzle): begin IMMEDIATE → inside the write gate (raised for the side that goes
 * first, waited on by the side that yields).
 *
 * Two connections write (the server's and its ingest writer thread's). A transaction that reads and
 * then writes must take the write lock when it begins: a deferred one fails with SQLITE_BUSY when the
 * other connection committed after its first read, and no busy timeout can save it.
 *
 * Drizzle builds a new transaction object for each transaction (with a query builder for every
 * table of the schema) and better-sqlite3 a new wrapper: 21 µs a transaction, against 0.9 µs for
 * BEGIN and COMMIT. The object only forwards to the connection, so one made when the connection
 * opens serves every transaction, run through one better-sqlite3 wrapper (which, called inside a
 * transaction, takes a savepoint as Drizzle's own did).
 */
export function hookTransactions<S extends Record<string, unknown>>(
  db: BetterSQLite3Database<S>,
  sqlite: Database.Database,
  { writesFirst, yieldsTo }: DriverHooks,
): void {
  const tx = db.transaction((opened) => opened);
  const wrapper = sqlite.transaction((body: (opened: typeof tx) => unknown) => body(tx));
  db.transaction = ((
    body: (opened: typeof tx) => unknown,
    config?: { behavior?: "deferred" | "immediate" | "exclusive" },
  ) => {
    const begin = () => wrapper[config?.behavior ?? "immediate"](body);
    if (writesFirst) return writesFirst.first(begin);
    return yieldsTo ? yieldsTo.after(begin) : begin();
  }) as typeof db.transaction;
}
