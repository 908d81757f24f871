import { runs } from "@tower/db";
import type { ChangeEvent } from "@tower/shared";
import { and, eq, inArray } from "drizzle-orm";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { requeueOrEnd, requeueUnspent } from "./run-requeue";
import { runChange } from "./run-rows";
import { advanceWorkflowTx } from "./workflow-runs";

/** How the error of a run taken from a disabled agent starts (its streams read it as a take-back). */
export const DISABLED_TAKEBACK = "Taken back";

/**
 * An operator disabled the agent (or pulled the kill switch): the runs it holds are taken from it
 * at once, back to the queue for another agent without spending an attempt (one someone asked to
 * cancel ends cancelled). Its streams tell the agent, whose handlers are aborted; its late reports
 * are refused. Before, its runs went on, renewed and completed, as if nothing had happened.
 */
export function takeBackFromDisabledAgent(deps: Deps, projectId: string, agentId: string): void {
  const now = deps.clock.now();
  const events = deps.db.transaction((tx) =>
    tx
      .select()
      .from(runs)
      .where(and(eq(runs.projectId, projectId), eq(runs.agentId, agentId), inArray(runs.status, ["leased", "running"])))
      .all()
      .flatMap((row): ChangeEvent[] => {
        const error = `${DISABLED_TAKEBACK}: "${row.agentName}" was disabled by an operator`;
        const updated = row.cancelRequested
          ? requeueOrEnd(tx, row, { error, ending: "failed" }, now)
          : requeueUnspent(tx, row, error, now);
        return [runChange(deps.state, tx, updated, "updated", now), ...advanceWorkflowTx(deps, tx, updated, now)];
      }),
  );
  publishChanges(deps, events);
}
