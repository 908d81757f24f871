import { sql } from "drizzle-orm";
import type { ConnectionState } from "./connection-state";

/**
 * A Drizzle query built and prepared once per connection, its values bound at run time through
 * `slot(name)` placeholders: for the small queries every request makes (who is calling, the
 * first page of a list) building the query costs more than running it. `key` names the query's
 * shape; a query whose shape varies (optional filters) passes one key per shape. The query is kept
 * in `state` (the connection's, see connection-state.ts): the database and every transaction
 * opened on it share that connection, so a query prepared through either runs on both.
 */
export function prepared<T>(state: ConnectionState, key: string, build: () => T): T {
  const cache = state.preparedQueries;
  let query = cache.get(key) as T | undefined;
  if (query === undefined) cache.set(key, (query = build()));
  return query;
}

/** A value supplied when the prepared query runs. */
export const slot = (name: string) => sql.placeholder(name);
