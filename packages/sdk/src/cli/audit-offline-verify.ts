import { createPublicKey, type KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { AuditChainStart, SignedAuditHead } from "@tower/shared";
import {
  auditKeyId,
  checkAuditRow,
  checkSignedHead,
  compareWithSignedHead,
  GENESIS_HASH,
  readJsonLines,
  type AuditChainBreak,
  type AuditChainRow,
} from "@tower/shared/node";
import { EXPORT_FORMAT } from "./audit-command";
import { CliError } from "./cli-error";
import { cliEnv } from "./env";

export interface OfflineVerifyOptions {
  chain: string;
  heads?: string;
  publicKey?: string;
}

const when = (at: number) => new Date(at).toISOString();

async function* jsonLines(file: string): AsyncGenerator<{ line: number; value: unknown }> {
  for await (const entry of readJsonLines(file)) {
    if (!entry.ok) throw new CliError(`${file} line ${entry.line} is not JSON`);
    yield entry;
  }
}

function readPublicKey(file: string): KeyObject {
  try {
    const key = createPublicKey(readFileSync(file));
    if (key.asymmetricKeyType === "ed25519") return key;
  } catch {
    // reported below
  }
  throw new CliError(`${file} is not an Ed25519 public key (PEM)`);
}

/** Every line of a signed-heads file checked; the newest genuine head of `projectId`. */
async function readHeads(file: string, publicKey: KeyObject, projectId: string) {
  let latest: SignedAuditHead | null = null;
  const rejected: string[] = [];
  for await (const { line, value } of jsonLines(file)) {
    const check = checkSignedHead(value, publicKey);
    if (!check.ok) rejected.push(`${file} line ${line}: ${check.reason}`);
    else if (check.head.projectId === projectId && (!latest || check.head.throughId >= latest.throughId)) {
      latest = check.head;
    }
  }
  return { latest, rejected };
}

const resolveExisting = (file: string, what: string) => {
  const resolved = cliEnv.resolvePath(file);
  if (!existsSync(resolved)) throw new CliError(`No such ${what}: ${resolved}`);
  return resolved;
};

/**
 * `tower audit verify --chain FILE [--heads FILE --public-key FILE]`, with no server: walks an
 * exported chain (every link and row hash, as the server does) and, given signed heads and the key
 * that signed them, checks every head's signature and that the chain still holds the newest one:
 * rows cut after it (truncation), rewritten before it, or pruned by a forged checkpoint. Returns
 * the exit code.
 */
export async function auditVerifyOfflineCommand(options: OfflineVerifyOptions): Promise<number> {
  if (!!options.heads !== !!options.publicKey) throw new CliError("Pass --heads and --public-key together");
  const chainFile = resolveExisting(options.chain, "chain export");
  const rows = jsonLines(chainFile);
  const first = await rows.next();
  const header = first.done
    ? null
    : (first.value.value as { format?: string; projectId?: string; checkpoint?: AuditChainStart | null });
  if (header?.format !== EXPORT_FORMAT || typeof header.projectId !== "string") {
    throw new CliError(`${chainFile} is not a chain written by \`tower audit export\``);
  }
  const projectId = header.projectId;

  let head: SignedAuditHead | null = null;
  let rejected: string[] = [];
  if (options.heads && options.publicKey) {
    const publicKey = readPublicKey(resolveExisting(options.publicKey, "public key"));
    ({ latest: head, rejected } = await readHeads(resolveExisting(options.heads, "heads file"), publicKey, projectId));
    console.log(`Signed heads checked with key ${auditKeyId(publicKey)}`);
  }

  const checkpoint = header.checkpoint
    ? { throughId: header.checkpoint.throughId, throughHash: header.checkpoint.throughHash }
    : null;
  let expectedPrev = checkpoint?.throughHash ?? GENESIS_HASH;
  let lastId = checkpoint?.throughId ?? 0;
  let count = 0;
  let hashAtHead: string | null = null;
  let broken: AuditChainBreak | null = null;
  for await (const { line, value } of rows) {
    const row = value as AuditChainRow;
    if (typeof row?.id !== "number" || row.id <= lastId) {
      throw new CliError(`${chainFile} line ${line}: not a row in id order after row ${lastId}`);
    }
    broken = checkAuditRow(projectId, row, expectedPrev);
    if (broken) break;
    if (row.id === head?.throughId) hashAtHead = row.hash;
    expectedPrev = row.hash;
    lastId = row.id;
    count++;
  }
  broken ??= head && compareWithSignedHead({ checkpoint, lastId, hashAtHead }, head);

  for (const problem of rejected) console.log(`✖ ${problem}`);
  if (broken) {
    const hint =
      broken.problem === "truncated" ? " (if the heads are newer than the export, export again and re-check)" : "";
    console.log(`Exported chain BROKEN at row ${broken.at} (${broken.problem}): ${broken.reason}${hint}`);
    console.log(`${count} rows verified before it`);
  } else {
    const signed = head
      ? `holds the head signed at ${when(head.at)} (row ${head.throughId}, ${head.rows} rows)`
      : options.heads
        ? `no signed head of project ${projectId} in the heads file: rows cut from the end cannot be detected`
        : "no signed heads given (--heads, --public-key): rows cut from the end cannot be detected";
    console.log(`Exported chain intact, ${count} rows; ${signed}`);
  }
  if (rejected.length > 0)
    console.log(`${rejected.length} signed heads failed their check: the heads file was changed`);
  return broken || rejected.length > 0 ? 1 : 0;
}
