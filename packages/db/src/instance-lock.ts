import Database from "better-sqlite3";

/**
 * Held by the one server that uses a database file, for as long as it runs: a second server on
 * the same file (an overlapping restart, a second `npm start`) would share its queue and sweeps,
 * and at its start end the first one's running test suites as interrupted, killing them. SQLite's
 * own lock on a file beside the database (`tower.sqlite.lock`), taken exclusively and never
 * released: the kernel drops it when the process ends, however it ends (SIGKILL included).
 *
 * Returns a handle to close at shutdown, or null when another process holds the lock.
 */
export function holdInstanceLock(file: string): { close(): void } | null {
  if (file === ":memory:" || file === "") return { close() {} };
  const lock = new Database(`${file}.lock`, { timeout: 0 });
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.exec("BEGIN EXCLUSIVE");
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY") return null;
    throw error;
  }
  return { close: () => lock.close() };
}
