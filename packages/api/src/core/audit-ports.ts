import type { AuditChainStart, AuditHead, SignedAuditHead } from "@tower/shared";
import type { AuditChainBreak } from "@tower/shared/node";
import type { ChainCheckpoint } from "./audit-chain-read";

// The audit domain's ports in Deps (`deps.audit`): the chain's reader (a thread in the server), its
// anchor (signing key and signed heads) and the limits on verify, declared on the floor.

/** What checking the audit chain needs beside the database. */
export interface AuditDeps {
  reader: AuditChainReader;
  anchor: AuditAnchor;
  verifyThrottle: AuditVerifyThrottle;
}

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

export type PreviousHeads = Record<string, Pick<SignedAuditHead, "throughId" | "hash" | "rows">>;

/** A prefix of the chain found intact before (the `audit_verified` row). */
export interface RememberedPrefix {
  checkpointId: number | null;
  throughId: number;
  hash: string;
  rows: number;
  verifiedAt: number;
}

export interface ChainWalkRequest {
  projectId: string;
  /** Skip the rows through this prefix, after checking its last row still has its hash. */
  resume: RememberedPrefix | null;
  /** Also look up the stored hash of this row (the latest signed head's). */
  headThroughId: number | null;
}

export interface ChainWalk {
  checkpoint: ChainCheckpoint | null;
  /** Rows from the checkpoint (or the start) through `lastId`, remembered ones included. */
  rows: number;
  /** Rows read and hashed by this walk. */
  checked: number;
  resumed: boolean;
  /** The last intact row (the checkpoint's, or 0, when there is none after it). */
  lastId: number;
  lastHash: string;
  hashAtHead: string | null;
  broken: AuditChainBreak | null;
}

/** What a new signed head of the project would say, and what its previous one covers now. */
export interface ChainHeadState {
  projectId: string;
  checkpoint: ChainCheckpoint | null;
  /** The newest stored row (the checkpoint's, or 0 and the genesis hash, when none is stored). */
  lastId: number;
  lastHash: string;
  /** Rows since the chain began, pruned ones included. */
  rows: number;
  /** The stored hash of the previous head's row, or null when it is not stored. */
  hashAtPrevious: string | null;
}

/**
 * The audit chain's anchor outside the database: the signing key, the signed heads (appended to a
 * file, the newest kept in memory), and the checkpoints this process made itself (retention), which
 * a chain may start at before a head covering them has been signed.
 */
export interface AuditAnchor {
  /** SPKI PEM of the public key. */
  readonly publicKey: string;
  readonly keyId: string;
  latest(projectId: string): SignedAuditHead | null;
  /** The newest `limit` heads of the project, newest first. */
  recent(projectId: string, limit: number): SignedAuditHead[];
  /** The latest head of every project, for the signer. */
  latestAll(): SignedAuditHead[];
  sign(head: Omit<AuditHead, "keyId">): SignedAuditHead;
  vouch(projectId: string, checkpoint: AuditChainStart): void;
  isVouched(projectId: string, checkpoint: AuditChainStart | null): boolean;
  close(): void;
}

/**
 * Limits on `audit.verify` per project: one at a time, and `perMinute` started per minute. A
 * verify reads the whole chain (or all of it since the last one), so unlimited calls would keep
 * a core busy for as long as someone keeps asking.
 */
export interface AuditVerifyThrottle {
  run<T>(projectId: string, work: () => Promise<T>): Promise<T>;
}
