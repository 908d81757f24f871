import type { AuditChainStart } from "@tower/shared";
import { compareWithSignedHead } from "@tower/shared/node";
import type { PreviousHeads } from "../core/audit-ports";
import type { Deps } from "../core/deps";

export interface AuditHeadSigner {
  /** Signs the head of every project whose chain moved since its last signed head. */
  signNow(): Promise<{ signed: number; refused: number }>;
  /** Signs every `intervalMs` from now on, until `stop`. */
  start(intervalMs: number): void;
  stop(): void;
}

const sameStart = (a: AuditChainStart | null, b: AuditChainStart | null) =>
  a?.throughId === b?.throughId && a?.throughHash === b?.throughHash;

/**
 * Signs chain heads with the anchor's key. A new head is signed only if the chain still contains
 * the previous one (its row with its hash, from the same checkpoint or one this process made), so
 * a database cut or rewritten behind the server's back, even while it was stopped, is never
 * blessed by a fresh signature: the last genuine head keeps saying what is missing.
 */
export function createAuditHeadSigner(deps: Pick<Deps, "audit" | "clock" | "logger">): AuditHeadSigner {
  const { reader, anchor } = deps.audit;
  const reported = new Map<string, string>();
  let queue: Promise<unknown> = Promise.resolve();
  let timer: ReturnType<typeof setInterval> | undefined;

  const signChanged = async () => {
    const previous: PreviousHeads = Object.fromEntries(anchor.latestAll().map((head) => [head.projectId, head]));
    let signed = 0;
    let refused = 0;
    for (const state of await reader.heads(previous)) {
      const { projectId, lastId, lastHash } = state;
      const prev = anchor.latest(projectId);
      const checkpoint = state.checkpoint
        ? { throughId: state.checkpoint.throughId, throughHash: state.checkpoint.throughHash }
        : null;
      if (!prev && lastId === 0) continue; // nothing written yet
      if (prev && prev.throughId === lastId && prev.hash === lastHash && sameStart(prev.checkpoint, checkpoint)) {
        continue;
      }
      if (prev) {
        const problem = compareWithSignedHead({ checkpoint, lastId, hashAtHead: state.hashAtPrevious }, prev, {
          checkpointVouched: anchor.isVouched(projectId, checkpoint),
        });
        if (problem) {
          refused++;
          if (reported.get(projectId) !== prev.signature) {
            reported.set(projectId, prev.signature);
            deps.logger.error(
              { projectId, problem: problem.problem, row: problem.at, reason: problem.reason },
              "audit chain no longer holds its last signed head; no new head is signed for it",
            );
          }
          continue;
        }
      }
      anchor.sign({ projectId, throughId: lastId, hash: lastHash, rows: state.rows, checkpoint, at: deps.clock.now() });
      signed++;
    }
    return { signed, refused };
  };

  const signer: AuditHeadSigner = {
    signNow() {
      // One signing at a time: a periodic one, one after pruning and the last one at shutdown.
      const run = queue.then(signChanged);
      queue = run.catch(() => undefined);
      return run;
    },
    start(intervalMs) {
      timer = setInterval(() => {
        signer.signNow().catch((error: unknown) => deps.logger.error({ err: error }, "signing audit heads failed"));
      }, intervalMs);
      timer.unref();
    },
    stop: () => clearInterval(timer),
  };
  return signer;
}
