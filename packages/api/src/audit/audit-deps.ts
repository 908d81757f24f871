import type { DbOrTx } from "@tower/db";
import type { AuditDeps } from "../core/audit-ports";
import { createAuditAnchor } from "./audit-anchor";
import { createInProcessAuditReader } from "./audit-chain-reader";
import { createAuditVerifyThrottle } from "./audit-verify-throttle";

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
