import type { TowerDb } from "@tower/db";
import { sql } from "drizzle-orm";

const caches = new WeakMap<TowerDb, Map<string, unknown>>();

/**
 * A Drizzle query built and prepared once per database, its values bound at run time through
 * `slot(name)` placeholders: for the small queries every request makes (who is calling, the
 * first page of a list) building the query costs more than running it. `key` names the query's
 * shape; a query whose shape varies (optional filters) passes one key per shape.
 */
export function prepared<T>(db: TowerDb, key: string, build: () => T): T {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  let query = cache.get(key) as T | undefined;
  if (query === undefined) cache.set(key, (query = build()));
  return query;
}

/** A value supplied when the prepared query runs. */
export const slot = (name: string) => sql.placeholder(name);
