import type { DbOrTx } from "@tower/db";
import { sql } from "drizzle-orm";

const caches = new WeakMap<object, Map<string, unknown>>();

/**
 * The database and every transaction opened on it share one Drizzle session (one SQLite
 * connection), so a query prepared on either runs on both: the cache is kept per session.
 */
const sessionOf = (handle: DbOrTx) => (handle as unknown as { session: object }).session;

/**
 * A Drizzle query built and prepared once per database, its values bound at run time through
 * `slot(name)` placeholders: for the small queries every request makes (who is calling, the
 * first page of a list) building the query costs more than running it. `key` names the query's
 * shape; a query whose shape varies (optional filters) passes one key per shape.
 */
export function prepared<T>(handle: DbOrTx, key: string, build: () => T): T {
  const session = sessionOf(handle);
  let cache = caches.get(session);
  if (!cache) caches.set(session, (cache = new Map()));
  let query = cache.get(key) as T | undefined;
  if (query === undefined) cache.set(key, (query = build()));
  return query;
}

/** A value supplied when the prepared query runs. */
export const slot = (name: string) => sql.placeholder(name);
