import type { DbOrTx } from "@tower/db";
import type { AuditChainReader } from "../core/audit-ports";
import { readChainHeads, walkAuditChain } from "./audit-chain-walk";

/** The reader on the caller's own connection: each call runs to its end before it returns. */
export function createInProcessAuditReader(db: DbOrTx): AuditChainReader {
  return {
    walk: (request) => Promise.resolve().then(() => walkAuditChain(db, request)),
    heads: (previous) => Promise.resolve().then(() => readChainHeads(db, previous)),
    close: () => Promise.resolve(),
  };
}
