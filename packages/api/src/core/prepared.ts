import * as drizzle from "drizzle-orm";
import { is, Param, Placeholder, sql } from "drizzle-orm";
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
  if (query === undefined) cache.set(key, (query = bindFaster(build())));
  return query;
}

/** A value supplied when the prepared query runs. */
export const slot = (name: string) => sql.placeholder(name);

/** What a better-sqlite3 prepared query of Drizzle's holds, as far as `bindFaster` uses it. */
interface Statement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  raw(): Statement;
}
interface DrizzlePrepared {
  stmt: Statement;
  query: { params: unknown[] };
  fields?: unknown;
  joinsNotNullableMap?: unknown;
  customResultMapper?: unknown;
  run(values?: Record<string, unknown>): unknown;
  get(values?: Record<string, unknown>): unknown;
  all(values?: Record<string, unknown>): unknown;
  values(values?: Record<string, unknown>): unknown;
}

const isDrizzlePrepared = (query: unknown): query is DrizzlePrepared =>
  typeof query === "object" &&
  query !== null &&
  "stmt" in query &&
  "query" in query &&
  Array.isArray((query as { query: { params?: unknown } }).query.params);

type Values = Record<string, unknown>;

function valueOf(values: Values, name: string): unknown {
  if (!(name in values)) throw new Error(`No value for placeholder "${name}" was provided`);
  return values[name];
}

/**
 * The query with its values bound by a function made once per parameter, where Drizzle works out
 * each parameter's kind anew on every run (`fillPlaceholders`: an `is()` walk of the prototype
 * chain per parameter per call, a fifth of a run's bookkeeping on the work hot path). The same
 * values reach SQLite, encoded by the same column encoders; results are mapped by Drizzle as before.
 */
function bindFaster<T>(query: T): T {
  if (!isDrizzlePrepared(query)) return query;
  const binders = query.query.params.map((param): ((values: Values) => unknown) => {
    if (is(param, Placeholder)) {
      const name = param.name as string;
      return (values) => valueOf(values, name);
    }
    if (is(param, Param) && is(param.value, Placeholder)) {
      const name = param.value.name as string;
      const encoder = param.encoder as { mapToDriverValue(value: unknown): unknown };
      return (values) => encoder.mapToDriverValue(valueOf(values, name));
    }
    return () => param;
  });
  const bind = (values: Values = {}) => {
    const params = new Array<unknown>(binders.length);
    for (let i = 0; i < binders.length; i++) params[i] = binders[i]!(values);
    return params;
  };
  const { stmt, fields, joinsNotNullableMap } = query;
  query.run = (values) => stmt.run(...bind(values));
  // Drizzle's `all` reads through `values` and maps the rows itself.
  query.values = (values) => stmt.raw().all(...bind(values));
  if (fields === undefined && query.customResultMapper === undefined) {
    query.get = (values) => stmt.get(...bind(values));
    query.all = (values) => stmt.all(...bind(values));
  } else if (query.customResultMapper === undefined && mapResultRow) {
    query.get = (values) => {
      const row = stmt.raw().get(...bind(values));
      return row === undefined ? undefined : mapResultRow(fields, row, joinsNotNullableMap);
    };
  }
  return query;
}

/** Drizzle maps a selected row with it (exported, not declared); without it, `get` stays Drizzle's. */
const mapResultRow = (drizzle as unknown as { mapResultRow?: (fields: unknown, row: unknown, joins: unknown) => unknown })
  .mapResultRow;
