import { createDb, type DbHandle } from "./client";

/** An in-memory database with the real migrations applied; one per test. */
export function createTestDb(): DbHandle {
  return createDb(":memory:");
}
