import { auditVerified, type TowerDb } from "@tower/db";
import type { AuditVerifyResult } from "@tower/shared";
import { compareWithSignedHead } from "@tower/shared/node";
import { eq } from "drizzle-orm";
import type { ChainWalk, RememberedPrefix } from "../core/audit-ports";
import type { Deps } from "../core/deps";

function rememberedPrefix(db: TowerDb, projectId: string): RememberedPrefix | null {
  return db.select().from(auditVerified).where(eq(auditVerified.projectId, projectId)).get() ?? null;
}

function remember({ db, clock }: Pick<Deps, "db" | "clock">, projectId: string, walk: ChainWalk) {
  const prefix = {
    checkpointId: walk.checkpoint?.id ?? null,
    throughId: walk.lastId,
    hash: walk.lastHash,
    rows: walk.rows,
    verifiedAt: clock.now(),
  };
  db.transaction((tx) =>
    tx
      .insert(auditVerified)
      .values({ projectId, ...prefix })
      .onConflictDoUpdate({ target: auditVerified.projectId, set: prefix })
      .run(),
  );
}

/**
 * `audit.verify`: walks the project's chain on the reader (off the event loop) and compares it
 * with the latest signed head. By default it starts after the prefix the last verify found intact
 * (checking that its last row kept its hash), so a second verify reads only new rows; `full`
 * re-reads every row. Between them they catch an edit anywhere:
 * - a row edited with its hash (and every later one) recomputed to keep the chain consistent
 *   changes the hash of the remembered row and of the signed head's row;
 * - a row edited without that fails its own hash: found by the first verify that reads it, and
 *   by a `full` one however old the row is (the remembered prefix lives in the database too, so
 *   whoever can edit rows can edit it: `full` does not trust it);
 * - rows cut from the end, or pruned by a forged checkpoint, contradict the signed head.
 */
export async function verifyAuditChain(
  deps: Deps,
  projectId: string,
  { full }: { full: boolean },
): Promise<AuditVerifyResult> {
  const { reader, anchor, verifyThrottle } = deps.audit;
  return verifyThrottle.run(projectId, async () => {
    const head = anchor.latest(projectId);
    const walk = await reader.walk({
      projectId,
      resume: full ? null : rememberedPrefix(deps.db, projectId),
      headThroughId: head?.throughId ?? null,
    });
    const checkpoint = walk.checkpoint
      ? { throughId: walk.checkpoint.throughId, throughHash: walk.checkpoint.throughHash }
      : null;
    const broken =
      walk.broken ??
      (head &&
        compareWithSignedHead({ checkpoint, lastId: walk.lastId, hashAtHead: walk.hashAtHead }, head, {
          checkpointVouched: anchor.isVouched(projectId, checkpoint),
        }));
    if (broken) {
      return { intact: false, rows: walk.rows, brokenAt: broken.at, reason: broken.reason, problem: broken.problem };
    }
    if (walk.lastId > (checkpoint?.throughId ?? 0)) remember(deps, projectId, walk);
    return {
      intact: true,
      rows: walk.rows,
      checkpoint: walk.checkpoint
        ? { throughId: walk.checkpoint.throughId, prunedRows: walk.checkpoint.prunedRows }
        : null,
      checked: walk.checked,
      full: !walk.resumed,
      signedHead: head ? { throughId: head.throughId, at: head.at } : null,
    };
  });
}
