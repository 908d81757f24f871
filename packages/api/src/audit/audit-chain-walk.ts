import { projects, type DbOrTx } from "@tower/db";
import type { SignedAuditHead } from "@tower/shared";
import { checkAuditRow, GENESIS_HASH, type AuditChainBreak } from "@tower/shared/node";
import {
  countRowsBetween,
  lastStoredRow,
  latestCheckpoint,
  prunedRowsTotal,
  readAuditAfter,
  storedHash,
} from "../core/audit-chain-read";
import type { ChainHeadState, ChainWalk, ChainWalkRequest } from "../core/audit-ports";

const PAGE = 1_000;

const when = (at: number) => new Date(at).toISOString();

/**
 * Walks the project's chain from its latest checkpoint (or the start), or from a remembered
 * prefix, to its end: every row must link to its predecessor and hash to its stored hash. On a
 * connection other writers share, run it inside one read transaction, so retention pruning in the
 * middle of a walk cannot look like a removed row.
 */
export function walkAuditChain(db: DbOrTx, { projectId, resume, headThroughId }: ChainWalkRequest): ChainWalk {
  const checkpoint = latestCheckpoint(db, projectId) ?? null;
  const start = checkpoint?.throughId ?? 0;
  let expectedPrev = checkpoint?.throughHash ?? GENESIS_HASH;
  let afterId = start;
  let rows = 0;
  let checked = 0;
  let resumed = false;
  const result = (broken: AuditChainBreak | null): ChainWalk => ({
    checkpoint,
    rows,
    checked,
    resumed,
    lastId: afterId,
    lastHash: expectedPrev,
    hashAtHead: headThroughId !== null && headThroughId > start ? storedHash(db, projectId, headThroughId) : null,
    broken,
  });

  // A prefix remembered from the same checkpoint still stands if its last row kept its hash: any
  // rewrite of the rows before it, kept consistent, would have changed that hash.
  if (resume && resume.checkpointId === (checkpoint?.id ?? null) && resume.throughId > start) {
    const hash = storedHash(db, projectId, resume.throughId);
    if (hash !== resume.hash) {
      return result({
        at: resume.throughId,
        problem: "rewritten",
        reason:
          hash === null
            ? `Row ${resume.throughId}, found intact at ${when(resume.verifiedAt)}, is gone`
            : `Row ${resume.throughId} no longer has the hash it had when it was verified at ${when(resume.verifiedAt)}: the chain up to it was rewritten`,
      });
    }
    expectedPrev = resume.hash;
    afterId = resume.throughId;
    rows = resume.rows;
    resumed = true;
  }

  for (;;) {
    const page = readAuditAfter(db, projectId, afterId, PAGE);
    for (const row of page) {
      const broken = checkAuditRow(projectId, row, expectedPrev);
      if (broken) return result(broken);
      expectedPrev = row.hash;
      afterId = row.id;
      rows++;
      checked++;
    }
    if (page.length < PAGE) return result(null);
  }
}

/**
 * The head of every project's chain. `previous` (the last signed head of each project) lets the
 * row count be carried forward by counting only the rows after it.
 */
export function readChainHeads(
  db: DbOrTx,
  previous: Record<string, Pick<SignedAuditHead, "throughId" | "hash" | "rows">>,
): ChainHeadState[] {
  return db
    .select({ id: projects.id })
    .from(projects)
    .all()
    .map(({ id: projectId }) => {
      const checkpoint = latestCheckpoint(db, projectId) ?? null;
      const last = lastStoredRow(db, projectId);
      const lastId = last?.id ?? checkpoint?.throughId ?? 0;
      const lastHash = last?.hash ?? checkpoint?.throughHash ?? GENESIS_HASH;
      const prev = previous[projectId];
      const hashAtPrevious = prev ? storedHash(db, projectId, prev.throughId) : null;
      const rows =
        prev && hashAtPrevious === prev.hash
          ? prev.rows + countRowsBetween(db, projectId, prev.throughId, lastId)
          : prunedRowsTotal(db, projectId) + countRowsBetween(db, projectId, 0, lastId);
      return { projectId, checkpoint, lastId, lastHash, rows, hashAtPrevious };
    });
}
