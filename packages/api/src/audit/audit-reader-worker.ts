/**
 * The audit reader thread: a read-only connection and a message loop. See `startAuditReaderThread`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openReadOnlyDb } from "@tower/db";
import { readChainHeads, walkAuditChain } from "./audit-chain-walk";
import type { ReaderData, ReaderReply, ReaderRequest } from "./audit-reader-thread";

const port = parentPort!;
const { file } = workerData as ReaderData;
const database = openReadOnlyDb(file);
// One read transaction per request: the whole walk sees one snapshot of the file, so rows pruned
// or appended meanwhile by the server cannot make an intact chain look broken.
const inSnapshot = <T>(read: () => T): T => database.sqlite.transaction(read)();

port.on("message", (message: ReaderRequest) => {
  if (message.type === "close") {
    database.close();
    port.close();
    return;
  }
  try {
    const value =
      message.type === "walk"
        ? inSnapshot(() => walkAuditChain(database.db, message.request))
        : inSnapshot(() => readChainHeads(database.db, message.previous));
    port.postMessage({ type: "done", id: message.id, ok: true, value } satisfies ReaderReply);
  } catch (error) {
    port.postMessage({
      type: "done",
      id: message.id,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
    } satisfies ReaderReply);
  }
});

port.postMessage({ type: "ready" } satisfies ReaderReply);
