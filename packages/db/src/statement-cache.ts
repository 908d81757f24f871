import type Database from "better-sqlite3";

/**
 * Drizzle compiles the SQL of every query it runs, and for a small query compiling costs more than
 * running it. Drizzle binds values as parameters, so the same query shape has the same text: this
 * keeps the most recently used statements by their text. A statement handed out again is reset to
 * plain rows (callers toggle `raw`/`pluck`/`expand` on it), and one still busy iterating is never
 * shared: that caller gets a fresh one.
 */
export function cacheStatements(sqlite: Database.Database, max = 500): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Database.Statement>();
  const cached = (source: string): Database.Statement => {
    const hit = cache.get(source);
    if (hit && !hit.busy) {
      cache.delete(source); // re-inserted below: the map's order is recency
      cache.set(source, hit);
      if (hit.reader) hit.raw(false).pluck(false).expand(false);
      return hit;
    }
    const statement = prepare(source);
    if (!hit) {
      cache.set(source, statement);
      if (cache.size > max) cache.delete(cache.keys().next().value!);
    }
    return statement;
  };
  sqlite.prepare = cached as Database.Database["prepare"];
}
