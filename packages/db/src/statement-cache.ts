import type Database from "better-sqlite3";

/**
 * Drizzle compiles the SQL of every query it runs, and for a small query compiling costs more than
 * running it. Drizzle binds values as parameters, so the same query shape has the same text: this
 * keeps the most recently used statements by their text. A statement handed out again is reset to
 * plain rows (callers toggle `raw`/`pluck`/`expand` on it), and one still busy iterating is never
 * shared: that caller gets a fresh one. Installed on a connection by `hookDriver` (driver-hooks.ts).
 */
export class StatementCache {
  readonly #cache = new Map<string, Database.Statement>();

  constructor(readonly max = 500) {}

  /** The statement for `source`: a cached one when free, else one compiled by `prepare`. */
  get(source: string, prepare: (source: string) => Database.Statement): Database.Statement {
    const hit = this.#cache.get(source);
    if (hit && !hit.busy) {
      this.#cache.delete(source); // re-inserted below: the map's order is recency
      this.#cache.set(source, hit);
      if (hit.reader) hit.raw(false).pluck(false).expand(false);
      return hit;
    }
    const statement = prepare(source);
    if (!hit) {
      this.#cache.set(source, statement);
      if (this.#cache.size > this.max) this.#cache.delete(this.#cache.keys().next().value!);
    }
    return statement;
  }
}
