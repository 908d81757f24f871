import type { DbOrTx } from "@tower/db";
import type { SignedAuditHead } from "@tower/shared";
import {
  readChainHeads,
  walkAuditChain,
  type ChainHeadState,
  type ChainWalk,
  type ChainWalkRequest,
} from "./audit-chain-walk";

export type PreviousHeads = Record<string, Pick<SignedAuditHead, "throughId" | "hash" | "rows">>;

/**
 * Where the audit chain is read in bulk (verify walks, heads to sign): a thread with its own
 * read-only connection in the server, so a walk of a million rows never holds up the event loop;
 * in-process in tests and for an in-memory database, which no other connection can open.
 */
export interface AuditChainReader {
  walk(request: ChainWalkRequest): Promise<ChainWalk>;
  heads(previous: PreviousHeads): Promise<ChainHeadState[]>;
  close(): Promise<void>;
}

/** The reader on the caller's own connection: each call runs to its end before it returns. */
export function createInProcessAuditReader(db: DbOrTx): AuditChainReader {
  return {
    walk: (request) => Promise.resolve().then(() => walkAuditChain(db, request)),
    heads: (previous) => Promise.resolve().then(() => readChainHeads(db, previous)),
    close: () => Promise.resolve(),
  };
}
