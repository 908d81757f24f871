import { writeFileSync } from "node:fs";
import type { TowerClient } from "../client";
import { CliError } from "./cli-error";
import { cliEnv } from "./env";
import { lineOutput } from "./line-output";
import { progressLine } from "./progress-line";

/** What the first line of `tower audit export` holds; every following line is one row. */
export const EXPORT_FORMAT = "tower-audit-export/1";

const when = (at: number) => new Date(at).toISOString();

/** `tower audit verify [--full]`: the server walks the project's chain. Returns the exit code. */
export async function auditVerifyCommand(tower: TowerClient, { full = false }: { full?: boolean }): Promise<number> {
  const result = await tower.api.audit.verify.query({ full });
  if (result.intact) {
    const pruned = result.checkpoint
      ? ` (after a checkpoint covering ${result.checkpoint.prunedRows} pruned rows)`
      : "";
    const read = result.full ? "every row read" : `${result.checked} new rows read`;
    const head = result.signedHead
      ? `holds the head signed at ${when(result.signedHead.at)} (row ${result.signedHead.throughId})`
      : "no signed head yet";
    console.log(`Audit trail intact, ${result.rows} rows${pruned}; ${read}; ${head}`);
    return 0;
  }
  console.log(
    `Audit trail BROKEN at row ${result.brokenAt} (${result.problem}): ${result.reason} (${result.rows} rows verified before it)`,
  );
  return 1;
}

/**
 * `tower audit export [--out FILE]`: the project's chain as JSON lines (a header, then every row
 * with its links, oldest first), paged through `audit.export`, for `tower audit verify --chain`.
 */
export async function auditExportCommand(tower: TowerClient, { out }: { out?: string }): Promise<number> {
  const output = lineOutput(out);
  let after = 0;
  let rows = 0;
  const progress = progressLine();
  let start: number | undefined;
  for (;;) {
    const page = await tower.api.audit.export.query({ after, limit: 1_000 });
    const through = page.checkpoint?.throughId ?? 0;
    if (start === undefined) {
      start = through;
      await output.write([
        JSON.stringify({
          format: EXPORT_FORMAT,
          projectId: page.projectId,
          checkpoint: page.checkpoint,
          exportedAt: Date.now(),
        }),
      ]);
    } else if (through > after) {
      // Retention removed rows this export had not reached yet: the file would have a gap.
      throw new CliError("The audit trail was pruned during the export; run it again");
    }
    await output.write(page.rows.map((row) => JSON.stringify(row)));
    rows += page.rows.length;
    if (out) progress.update(`Exported ${rows} rows`);
    if (page.nextAfter === null) break;
    after = page.nextAfter;
  }
  await output.close();
  progress.end();
  return 0;
}

/**
 * `tower audit heads [--out FILE] [--public-key-out FILE] [--limit N]`: the project's latest signed
 * chain heads as JSON lines, oldest first (so a file they are appended to stays in order).
 */
export async function auditHeadsCommand(
  tower: TowerClient,
  { out, publicKeyOut, limit = 20 }: { out?: string; publicKeyOut?: string; limit?: number },
): Promise<number> {
  const { heads, publicKey, keyId } = await tower.api.audit.heads.query({ limit });
  const output = lineOutput(out);
  await output.write(heads.reverse().map((head) => JSON.stringify(head)));
  await output.close();
  if (publicKeyOut) writeFileSync(cliEnv.resolvePath(publicKeyOut), publicKey);
  process.stderr.write(
    `${heads.length} signed heads; key ${keyId}${publicKeyOut ? ` (public key written to ${publicKeyOut})` : " (save it with --public-key-out)"}\n`,
  );
  return 0;
}
