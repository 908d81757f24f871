import type Database from "better-sqlite3";

/** The longest either side waits for the other (a safety net: SQLite's own lock still decides). */
const MAX_WAIT_MS = 1_000;

/**
 * Two connections write one SQLite file: the server's, on its event loop, and the ingest writer
 * thread's. A connection that finds the write lock taken polls for it with growing sleeps (1, 2, 5,
 * 10 … 100 ms), and a writer thread committing back to back under load holds the lock nearly all
 * the time, going on through the batches queued for it: a heartbeat or a dashboard action on the
 * event loop then waited 20 ms at the median and 180 ms at p99 during full-speed ingest, with every
 * other request stalled behind it.
 *
 * The gate lets the event loop's writes go first: its connection raises the gate for as long as it
 * writes and waits until the writer thread's transaction in progress (if any) has ended; the writer
 * thread, before each transaction, waits while the gate is raised. It lives in shared memory, so
 * both threads see it at once (`buffer` goes to the thread in its `workerData`).
 */
export class WriteGate {
  readonly buffer: SharedArrayBuffer;
  /** [0]: writes of the first side in progress (nested count); [1]: 1 while the other side writes. */
  readonly #state: Int32Array;

  constructor(buffer = new SharedArrayBuffer(8)) {
    this.buffer = buffer;
    this.#state = new Int32Array(buffer);
  }

  /** The event loop's side: runs `write` with the gate raised, once the other side's transaction ended. */
  first<T>(write: () => T): T {
    if (Atomics.add(this.#state, 0, 1) === 0) this.#waitWhile(1);
    try {
      return write();
    } finally {
      if (Atomics.sub(this.#state, 0, 1) === 1) Atomics.notify(this.#state, 0);
    }
  }

  /** The writer thread's side: waits while the gate is raised, then runs `write` marked as writing. */
  after<T>(write: () => T): T {
    this.#waitWhile(0);
    Atomics.store(this.#state, 1, 1);
    try {
      return write();
    } finally {
      Atomics.store(this.#state, 1, 0);
      Atomics.notify(this.#state, 1);
    }
  }

  /** The writer thread exited (perhaps mid-transaction): nothing on its side is writing any more. */
  writerGone(): void {
    Atomics.store(this.#state, 1, 0);
    Atomics.notify(this.#state, 1);
  }

  /** Blocks this thread while slot `index` is non-zero (at most MAX_WAIT_MS: a safety net). */
  #waitWhile(index: 0 | 1) {
    const deadline = performance.now() + MAX_WAIT_MS;
    for (let value = Atomics.load(this.#state, index); value !== 0; value = Atomics.load(this.#state, index)) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      Atomics.wait(this.#state, index, value, left);
    }
  }
}

const gated = new WeakSet<Database.Statement>();

/**
 * Makes every run of a writing statement outside a transaction raise the gate (a transaction raises
 * it as a whole, see driver-hooks.ts). A statement that only reads is returned untouched; one already
 * gated (the statement cache hands the same one out again) is not wrapped twice.
 */
export function gateStatement(
  statement: Database.Statement,
  sqlite: Database.Database,
  gate: WriteGate,
): Database.Statement {
  if (statement.readonly || gated.has(statement)) return statement;
  gated.add(statement);
  for (const method of ["run", "get", "all"] as const) {
    const call = statement[method].bind(statement) as (...args: unknown[]) => unknown;
    Object.defineProperty(statement, method, {
      value: (...args: unknown[]) => (sqlite.inTransaction ? call(...args) : gate.first(() => call(...args))),
    });
  }
  return statement;
}
