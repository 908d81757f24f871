import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { AuditChainReader, PreviousHeads } from "../core/audit-ports";
import type { ChainHeadState, ChainWalk, ChainWalkRequest } from "../core/audit-ports";

export type ReaderData = { file: string };
export type ReaderRequest =
  | { type: "walk"; id: number; request: ChainWalkRequest }
  | { type: "heads"; id: number; previous: PreviousHeads }
  | { type: "close" };
export type ReaderReply =
  | { type: "ready" }
  | { type: "done"; id: number; ok: true; value: ChainWalk | ChainHeadState[] }
  | { type: "done"; id: number; ok: false; message: string };

/**
 * The thread's bootstrap, found like the ingest writer's: `audit-reader-worker.ts` beside this module
 * from sources (with the TypeScript loader registered by the thread itself), `audit-reader-worker.js`
 * beside the chunk in apps/server's dist/ when compiled.
 */
function workerSource(): string {
  const typescript = import.meta.url.endsWith(".ts");
  const entry = new URL(`./audit-reader-worker.${typescript ? "ts" : "js"}`, import.meta.url).href;
  if (!typescript) return `import(${JSON.stringify(entry)})`;
  const loader = import.meta.resolve("tsx/esm/api");
  return `import(${JSON.stringify(loader)}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(entry)}))`;
}

export interface ReaderThreadOptions {
  /** The SQLite file (already migrated); the thread opens it read-only. */
  file: string;
  logger: Logger;
  /** Node flags for the thread; by default it inherits the process's. */
  execArgv?: string[];
}

/**
 * The audit chain reader on its own thread and read-only connection. One thread serves every
 * project, one request at a time: however many verifications are asked for, they take at most
 * one core, and the event loop only sends the request and receives the answer. If the thread
 * dies, waiting requests fail and the next one starts a new thread.
 */
export async function startAuditReaderThread({
  file,
  logger,
  execArgv,
}: ReaderThreadOptions): Promise<AuditChainReader> {
  const waiting = new Map<number, { resolve: (value: never) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let worker: Worker | undefined;
  let closing: Promise<void> | undefined;

  const start = () => {
    const thread = new Worker(workerSource(), { eval: true, workerData: { file } satisfies ReaderData, execArgv });
    // Alive only while it has work: a request waiting, or closing.
    thread.unref();
    thread.on("message", (reply: ReaderReply) => {
      if (reply.type === "ready") return;
      const caller = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (waiting.size === 0 && !closing) thread.unref();
      if (reply.ok) caller?.resolve(reply.value as never);
      else caller?.reject(new Error(`Reading the audit chain failed: ${reply.message}`));
    });
    thread.on("error", (error) => logger.error({ err: error }, "audit reader thread failed"));
    thread.on("exit", (code) => {
      if (worker === thread) worker = undefined;
      if (waiting.size === 0) return;
      logger.error({ code, waiting: waiting.size }, "audit reader thread stopped with requests waiting");
      for (const caller of waiting.values()) caller.reject(new Error("The audit reader stopped; try again"));
      waiting.clear();
    });
    return thread;
  };

  worker = start();
  const first = worker;
  await new Promise<void>((resolve, reject) => {
    const onMessage = (reply: ReaderReply) => reply.type === "ready" && done();
    const onExit = (code: number) => done(new Error(`The audit reader thread exited while starting (code ${code})`));
    const done = (error?: Error) => {
      first.off("message", onMessage).off("exit", onExit);
      if (error) reject(error);
      else resolve();
    };
    first.on("message", onMessage).on("exit", onExit);
  });

  const ask = <T>(message: (id: number) => ReaderRequest): Promise<T> => {
    if (closing) return Promise.reject(new Error("The audit reader is shutting down"));
    worker ??= start();
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      if (waiting.size === 0) worker!.ref();
      waiting.set(id, { resolve: resolve as (value: never) => void, reject });
      worker!.postMessage(message(id));
    });
  };

  return {
    walk: (request) => ask<ChainWalk>((id) => ({ type: "walk", id, request })),
    heads: (previous) => ask<ChainHeadState[]>((id) => ({ type: "heads", id, previous })),
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (!worker) return resolve();
        worker.ref();
        worker.once("exit", () => resolve());
        worker.postMessage({ type: "close" } satisfies ReaderRequest);
      });
      return closing;
    },
  };
}
