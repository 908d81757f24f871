import { runs } from "@tower/db";
import { isFinalRunStatus, type Actor, type ChangeEvent, type Run } from "@tower/shared";
import { eq } from "drizzle-orm";
import { appendAudit } from "../core/audit-chain";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { insertRunTx, targetOf } from "./run-enqueue";
import { handToWaitingAgents, publishAndHandOver, type Handoff } from "./run-handoff";
import { requireRun, runChange, toRun } from "./run-rows";
import { requireTask } from "./task-rows";
import { advanceWorkflowTx } from "./workflow-runs";

// What people (and operator keys) do to runs: cancel and retry. Both are audited.

/**
 * Cancels a run: a queued one ends `cancelled` at once; one an agent holds is marked, the agent is
 * told over its live connection (and by its next heartbeat), and the run ends `cancelled` when the
 * agent stops or its lease lapses.
 */
export function cancelRun(deps: Deps, projectId: string, id: string, actor: Actor): Run {
  const now = deps.clock.now();
  const events: ChangeEvent[] = [];
  const run = deps.db.transaction((tx) => {
    const row = requireRun(deps.state, tx, projectId, id);
    if (isFinalRunStatus(row.status)) throw new DomainError("CONFLICT", `Run ${id} already ended as ${row.status}`);
    if (row.cancelRequested) throw new DomainError("CONFLICT", `Run ${id} is already being cancelled`);
    const updated = tx
      .update(runs)
      .set(
        row.status === "queued"
          ? { status: "cancelled", cancelRequested: true, finishedAt: now, updatedAt: now }
          : { cancelRequested: true, updatedAt: now },
      )
      .where(eq(runs.id, id))
      .returning()
      .get()!;
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      {
        operation: "run.cancelled",
        target: row.taskName,
        agentId: row.agentId,
        detail: { runId: id, status: row.status, agent: row.agentName },
      },
      now,
    );
    events.push(runChange(deps.state, tx, updated, "updated", now), ...advanceWorkflowTx(deps, tx, updated, now));
    return toRun(updated);
  });
  publishChanges(deps, events);
  return run;
}

/** Runs an ended run's task again with the same input, as a new run that points back at it. */
export function retryRun(deps: Deps, projectId: string, id: string, actor: Actor): Run {
  const now = deps.clock.now();
  let events: ChangeEvent[] = [];
  let handoff: Handoff | undefined;
  const run = deps.db.transaction((tx) => {
    const row = requireRun(deps.state, tx, projectId, id);
    if (!isFinalRunStatus(row.status)) {
      throw new DomainError("CONFLICT", `Run ${id} is still ${row.status}; retry it once it has ended`);
    }
    if (row.workflowRunId !== null) {
      throw new DomainError("CONFLICT", "A workflow's step runs again when the workflow is started again");
    }
    if (row.taskId === null) throw new DomainError("CONFLICT", `The task "${row.taskName}" of run ${id} was deleted`);
    const task = requireTask(tx, projectId, row.taskId);
    const created = insertRunTx(
      deps.state,
      tx,
      task,
      { trigger: "retry", input: row.input, priority: row.priority, retryOf: row.id },
      now,
    )!;
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "run.retried", target: row.taskName, detail: { runId: created.row.id, retryOf: id } },
      now,
    );
    handoff = handToWaitingAgents(deps, tx, projectId, targetOf(task), 1);
    events = [created.event, ...handoff.events];
    return toRun(created.row);
  });
  publishAndHandOver(deps, events, [handoff]);
  return run;
}
