import type { DbOrTx } from "@tower/db";
import { createAuditAnchor, type AuditAnchor } from "./audit-anchor";
import { createInProcessAuditReader, type AuditChainReader } from "./audit-chain-reader";
import { createAuditVerifyThrottle, type AuditVerifyThrottle } from "./audit-verify-throttle";

/** What checking the audit chain needs beside the database. */
export interface AuditDeps {
  reader: AuditChainReader;
  anchor: AuditAnchor;
  verifyThrottle: AuditVerifyThrottle;
}

/**
 * For tests and an in-memory database: the chain read on the caller's connection, and heads signed
 * with a key that lives as long as the process (nothing written to disk).
 */
export function createInProcessAuditDeps(db: DbOrTx): AuditDeps {
  return {
    reader: createInProcessAuditReader(db),
    anchor: createAuditAnchor(),
    verifyThrottle: createAuditVerifyThrottle(),
  };
}
