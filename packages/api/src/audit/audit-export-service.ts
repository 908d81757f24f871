import type { AuditExportPage, AuditHeads, AuditRecord } from "@tower/shared";
import { latestCheckpoint, prunedRowsTotal, readAuditAfter } from "../core/audit-chain-read";
import type { Deps } from "../core/deps";

/**
 * One page of the project's chain with everything needed to check it elsewhere (`tower audit
 * export`): whole rows with their links, oldest first, and where the stored chain starts.
 */
export function exportAudit(
  { db }: Deps,
  projectId: string,
  { after, limit }: { after: number; limit: number },
): AuditExportPage {
  const checkpoint = latestCheckpoint(db, projectId);
  const rows: AuditRecord[] = readAuditAfter(db, projectId, after, limit).map(
    ({ projectId: _projectId, clientId: _clientId, ...row }) => row as AuditRecord,
  );
  return {
    projectId,
    checkpoint: checkpoint
      ? {
          throughId: checkpoint.throughId,
          throughHash: checkpoint.throughHash,
          prunedRows: prunedRowsTotal(db, projectId),
        }
      : null,
    rows,
    nextAfter: rows.length === limit ? rows.at(-1)!.id : null,
  };
}

/** The project's newest signed heads, newest first, with the key that verifies them. */
export function signedAuditHeads({ audit }: Deps, projectId: string, limit: number): AuditHeads {
  return { publicKey: audit.anchor.publicKey, keyId: audit.anchor.keyId, heads: audit.anchor.recent(projectId, limit) };
}
