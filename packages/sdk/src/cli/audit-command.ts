import type { TowerClient } from "../client";

/** `tower audit verify`: walks the project's hash chain. Returns the exit code. */
export async function auditVerifyCommand(tower: TowerClient): Promise<number> {
  const result = await tower.api.audit.verify.query({});
  if (result.intact) {
    const pruned = result.checkpoint
      ? ` (after a checkpoint covering ${result.checkpoint.prunedRows} pruned rows)`
      : "";
    console.log(`Audit trail intact, ${result.rows} rows${pruned}`);
    return 0;
  }
  console.log(
    `Audit trail BROKEN at row ${result.brokenAt}: ${result.reason} (${result.rows} rows verified before it)`,
  );
  return 1;
}
