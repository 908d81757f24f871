import { createDb, type DbHandle, type DbOptions } from "./client";

/** An in-memory database with the real migrations applied; one per test. */
export function createTestDb(options: Pick<DbOptions, "trace"> = {}): DbHandle {
  return createDb(":memory:", options);
}
