/**
 * The ingest writer thread: its own connection to the database file, one group committer, and a
 * message loop. See `startIngestWriterThread`.
 */
import os from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { createDb, WriteGate } from "@tower/db";
import { createConnectionState } from "../core/connection-state";
import { DomainError } from "../core/errors";
import { createIngestWriter } from "./group-commit";
import { WRITER_NICE, type WriterData, type WriterReply, type WriterRequest } from "./ingest-writer-thread";

const port = parentPort!;

// Ingest is bulk work: when the cores are busy, the event loop that answers calls (a policy check
// an agent waits on, a dashboard's query) should run first and ingest take what is left. On Linux a
// thread's nice value is its own (setpriority on the calling thread); elsewhere it would lower the
// whole process, so it is left alone there. Only ever lowered: raising it needs privileges.
if (process.platform === "linux" && os.getPriority(0) < WRITER_NICE) os.setPriority(0, WRITER_NICE);

const { file, gate } = workerData as WriterData;
const database = createDb(file, { yieldsTo: gate && new WriteGate(gate) });
// Its own connection, so its own state: what is prepared on one connection never runs on another.
const writer = createIngestWriter(database.db, createConnectionState());

port.on("message", (request: WriterRequest) => {
  if (request.type === "close") {
    void writer.close().then(() => {
      database.close();
      port.close();
    });
    return;
  }
  writer.submit(request.batch).then(
    (outcome) => port.postMessage({ type: "done", id: request.id, ok: true, outcome } satisfies WriterReply),
    (error: unknown) =>
      port.postMessage({
        type: "done",
        id: request.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
        // A refusal of the batch (a raw body that is not a batch of reports) reaches the caller as such.
        code: error instanceof DomainError ? error.code : undefined,
      } satisfies WriterReply),
  );
});

port.postMessage({ type: "ready" } satisfies WriterReply);
