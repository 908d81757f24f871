import { Worker } from "node:worker_threads";
import type { WriteGate } from "@tower/db";
import type { ErrorCode } from "@tower/shared";
import type { Logger } from "pino";
import { DomainError } from "../core/errors";
import type { IngestBatch, IngestOutcome, IngestWriter } from "../core/ports";

/**
 * The writer thread's nice value on Linux (the event loop keeps the process's, normally 0; 19 is
 * the lowest priority): see ingest-writer-worker.ts.
 */
export const WRITER_NICE = 10;

export type WriterData = { file: string; gate: SharedArrayBuffer | undefined };
export type WriterRequest = { type: "submit"; id: number; batch: IngestBatch } | { type: "close" };
export type WriterReply =
  | { type: "ready" }
  | { type: "done"; id: number; ok: true; outcome: IngestOutcome }
  | { type: "done"; id: number; ok: false; message: string; code?: ErrorCode };

/**
 * The thread's bootstrap: it imports `ingest-writer-worker` beside this module. Run from TypeScript
 * sources (tests, `pnpm dev`), that is the .ts file next to this one, and the thread registers the
 * TypeScript loader itself: Node 20 applies neither a .ts entry nor `--import` hooks to a worker.
 * Compiled (`node apps/server/dist/main.js`), this code sits in a chunk at the top of dist/ and the
 * server's build emits the worker as its own entry there, `ingest-writer-worker.js`
 * (apps/server/tsdown.config.mjs).
 */
function workerSource(): string {
  const typescript = import.meta.url.endsWith(".ts");
  const entry = new URL(`./ingest-writer-worker.${typescript ? "ts" : "js"}`, import.meta.url).href;
  if (!typescript) return `import(${JSON.stringify(entry)})`;
  const loader = import.meta.resolve("tsx/esm/api");
  return `import(${JSON.stringify(loader)}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(entry)}))`;
}

export interface WriterThreadOptions {
  /** The SQLite file; the thread opens its own connection to it (WAL: readers never wait for it). */
  file: string;
  logger: Logger;
  /** Node flags for the thread (e.g. `--cpu-prof`); by default it inherits the process's. */
  execArgv?: string[];
  /**
   * The gate of the server's connection (`createDb(file, { writesFirst })`): the thread waits before
   * each transaction while the server's connection writes, so the event loop never queues behind a
   * run of ingest commits.
   */
  writeGate?: WriteGate;
}

/**
 * Ingest on its own thread: the hash chain and the write transaction (fsync included) run beside
 * the server's event loop instead of in it, so queries and live updates are served while
 * reports are committed, and ingest gets the second core. Batches are answered after their commit.
 * If the thread dies, waiting batches fail (the SDK retries them; ids make retries idempotent) and
 * the next batch starts a new thread. Resolves once the thread has opened the database.
 */
export async function startIngestWriterThread({
  file,
  logger,
  // Undefined: the thread inherits the process's flags. Passing them explicitly would make Node
  // reject V8 flags such as --max-old-space-size and stop the server at startup.
  execArgv,
  writeGate,
}: WriterThreadOptions): Promise<IngestWriter> {
  const waiting = new Map<number, { resolve: (outcome: IngestOutcome) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let worker: Worker | undefined;
  let closing: Promise<void> | undefined;

  const start = () => {
    const thread = new Worker(workerSource(), {
      eval: true,
      workerData: { file, gate: writeGate?.buffer } satisfies WriterData,
      execArgv,
    });
    // The thread keeps the process alive only while it has work: batches waiting, or closing.
    thread.unref();
    thread.on("message", (reply: WriterReply) => {
      if (reply.type === "ready") return;
      const caller = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (waiting.size === 0 && !closing) thread.unref();
      if (reply.ok) caller?.resolve(reply.outcome);
      else if (reply.code) caller?.reject(new DomainError(reply.code, reply.message));
      else caller?.reject(new Error(`Storing the reports failed: ${reply.message}`));
    });
    thread.on("error", (error) => logger.error({ err: error }, "ingest writer thread failed"));
    thread.on("exit", (code) => {
      if (worker === thread) worker = undefined;
      writeGate?.writerGone();
      if (waiting.size === 0) return;
      logger.error({ code, waiting: waiting.size }, "ingest writer thread stopped with batches waiting");
      for (const caller of waiting.values()) caller.reject(new Error("The ingest writer stopped; retry the batch"));
      waiting.clear();
    });
    return thread;
  };

  worker = start();
  const thread = worker;
  await new Promise<void>((resolve, reject) => {
    const onMessage = (reply: WriterReply) => reply.type === "ready" && done();
    const onExit = (code: number) => done(new Error(`The ingest writer thread exited while starting (code ${code})`));
    const done = (error?: Error) => {
      thread.off("message", onMessage).off("exit", onExit);
      if (error) reject(error);
      else resolve();
    };
    thread.on("message", onMessage).on("exit", onExit);
  });

  return {
    submit(batch) {
      if (closing) return Promise.reject(new Error("The ingest writer is shutting down"));
      worker ??= start();
      const id = nextId++;
      return new Promise<IngestOutcome>((resolve, reject) => {
        if (waiting.size === 0) worker!.ref();
        waiting.set(id, { resolve, reject });
        worker!.postMessage({ type: "submit", id, batch } satisfies WriterRequest);
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (!worker) return resolve();
        worker.ref();
        worker.once("exit", () => resolve());
        worker.postMessage({ type: "close" } satisfies WriterRequest);
      });
      return closing;
    },
  };
}
