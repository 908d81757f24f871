/**
 * The ingest writer thread: its own connection to the database file, one group committer, and a
 * message loop. See `startIngestWriterThread`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createDb, WriteGate } from "@tower/db";
import { createConnectionState } from "../core/connection-state";
import { DomainError } from "../core/errors";
import { createIngestWriter } from "./group-commit";
import type { WriterData, WriterReply, WriterRequest } from "./ingest-writer-thread";

const port = parentPort!;
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
