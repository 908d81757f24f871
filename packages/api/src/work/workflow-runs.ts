import { runs, workflowRuns, type DbOrTx } from "@tower/db";
import {
  isFinalRunStatus,
  jsonBytes,
  STEP_RETRY_ATTEMPTS,
  type Actor,
  type ChangeEvent,
  type JsonValue,
  type WorkflowRun,
  type WorkflowRunStep,
  type WorkflowStep,
  WORK_LIMITS,
} from "@tower/shared";
import { and, desc, eq, lt } from "drizzle-orm";
import { SYSTEM_ACTOR } from "../core/actor";
import { appendAudit } from "../core/audit-chain";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { newId } from "../core/tokens";
import { insertRunTx } from "./run-enqueue";
import { runChange, type RunRow } from "./run-rows";
import {
  findWorkflowByName,
  requireWorkflow,
  requireWorkflowRun,
  toWorkflowRun,
  workflowRunChange,
  type WorkflowRunRow,
} from "./workflow-rows";

// Started workflows: the first step's run is queued at the start; each step's end (in the
// transaction that ends its run) queues the next or ends the workflow; stopping cancels the
// running step and skips the rest.

/**
 * What a step's run receives: the workflow's input, the step's own, and `steps`: the output of
 * every step before it, by name.
 */
function stepInput(row: WorkflowRunRow, index: number): Record<string, unknown> {
  const outputs: Record<string, JsonValue> = {};
  row.steps.slice(0, index).forEach((step) => (outputs[step.name] = step.output));
  return { ...row.input, ...row.definition[index]!.input, steps: outputs };
}

/**
 * Why step `index` cannot be given its input, or null: the workflow's input, the step's own and
 * the outputs before it together are over what a run may take (each alone is within it, but twenty
 * steps of 60 KB outputs make 1.2 MB, and each step's input holds all of them).
 */
function stepInputProblem(row: WorkflowRunRow, index: number): string | null {
  const bytes = jsonBytes(stepInput(row, index));
  if (bytes <= WORK_LIMITS.jsonBytes) return null;
  return `Step "${row.definition[index]!.name}" was not started: its input (the workflow's, the step's own and the outputs of the steps before it) would be ${bytes} bytes of JSON, over the ${WORK_LIMITS.jsonBytes} a run may take`;
}

/** Queues step `index`'s run; returns the run's change and the step as it now stands. */
function queueStep(deps: Deps, tx: DbOrTx, row: WorkflowRunRow, index: number, now: number) {
  const step: WorkflowStep = row.definition[index]!;
  const created = insertRunTx(
    deps.state,
    tx,
    {
      projectId: row.projectId,
      id: null,
      name: `${row.workflowName} › ${step.name}`,
      targetKind: step.target.kind,
      targetValue: step.target.kind === "any" ? null : step.target.value,
      input: stepInput(row, index),
      priority: 0,
      maxAttempts: step.maxAttempts ?? (step.onFailure === "retry" ? STEP_RETRY_ATTEMPTS : 1),
      backoffSeconds: 10,
      maxDurationSeconds: step.maxDurationSeconds,
      queuedTtlSeconds: null,
    },
    { trigger: "workflow", workflowRunId: row.id, workflowStep: index },
    now,
  )!;
  const state: WorkflowRunStep = {
    name: step.name,
    status: "queued",
    runId: created.row.id,
    output: null,
    error: null,
  };
  return { event: created.event, state };
}

export function startWorkflow(
  deps: Deps,
  projectId: string,
  input: { id?: string; workflow?: string; input: Record<string, unknown> },
  actor: Actor,
): WorkflowRun {
  const now = deps.clock.now();
  const events: ChangeEvent[] = [];
  const started = deps.db.transaction((tx) => {
    const workflow =
      input.id !== undefined
        ? requireWorkflow(tx, projectId, input.id)
        : findWorkflowByName(tx, projectId, input.workflow!);
    if (!workflow)
      throw new DomainError("NOT_FOUND", `No workflow named "${input.workflow}" in this project`, {
        field: "workflow",
      });
    const steps: WorkflowRunStep[] = workflow.steps.map((step) => ({
      name: step.name,
      status: "pending",
      runId: null,
      output: null,
      error: null,
    }));
    let row = tx
      .insert(workflowRuns)
      .values({
        id: newId(),
        projectId,
        workflowId: workflow.id,
        workflowName: workflow.name,
        status: "running",
        steps,
        definition: workflow.steps,
        input: input.input,
        startedBy: actor.name,
        startedAt: now,
      })
      .returning()
      .get();
    const tooLarge = stepInputProblem(row, 0);
    if (tooLarge) throw new DomainError("BAD_REQUEST", tooLarge);
    const first = queueStep(deps, tx, row, 0, now);
    row = tx
      .update(workflowRuns)
      .set({ steps: [first.state, ...steps.slice(1)] })
      .where(eq(workflowRuns.id, row.id))
      .returning()
      .get()!;
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "workflow.started", target: workflow.name, detail: { workflowRunId: row.id } },
      now,
    );
    events.push(workflowRunChange(deps.state, tx, row, "created", now), first.event);
    return toWorkflowRun(row);
  });
  publishChanges(deps, events);
  return started;
}

/**
 * A run ended (in the caller's transaction): when it is a workflow's current step, the workflow
 * moves on: the next step is queued after a success (or a failure the step says to continue past),
 * else the workflow ends (succeeded when every step did; stopped when the step was cancelled;
 * failed otherwise) and the steps after it are skipped.
 */
export function advanceWorkflowTx(deps: Deps, tx: DbOrTx, run: RunRow, now: number): ChangeEvent[] {
  if (run.workflowRunId === null || run.workflowStep === null || !isFinalRunStatus(run.status)) return [];
  const row = tx.select().from(workflowRuns).where(eq(workflowRuns.id, run.workflowRunId)).get();
  if (!row || row.currentStep !== run.workflowStep) return [];
  const index = run.workflowStep;
  const steps = [...row.steps];
  steps[index] = { ...steps[index]!, status: run.status, runId: run.id, output: run.output, error: run.error };
  if (row.status !== "running") {
    // Stopped while an agent held this step: the step now shows how its run ended; nothing follows.
    const updated = tx.update(workflowRuns).set({ steps }).where(eq(workflowRuns.id, row.id)).returning().get()!;
    return [workflowRunChange(deps.state, tx, updated, "updated", now)];
  }
  const events: ChangeEvent[] = [];
  const goOn =
    run.status === "succeeded" || (run.status !== "cancelled" && row.definition[index]!.onFailure === "continue");
  let set: Partial<WorkflowRunRow>;
  const hasNext = goOn && index + 1 < row.definition.length;
  const tooLarge = hasNext ? stepInputProblem({ ...row, steps }, index + 1) : null;
  if (hasNext && !tooLarge) {
    const next = queueStep(deps, tx, { ...row, steps }, index + 1, now);
    steps[index + 1] = next.state;
    events.push(next.event);
    set = { steps, currentStep: index + 1 };
  } else {
    // A next step whose input would be too large fails unstarted, and ends the workflow.
    if (tooLarge) steps[index + 1] = { ...steps[index + 1]!, status: "failed", error: tooLarge };
    const status =
      goOn && !tooLarge
        ? steps.every((step) => step.status === "succeeded")
          ? "succeeded"
          : "failed"
        : run.status === "cancelled"
          ? "stopped"
          : "failed";
    const firstSkipped = tooLarge ? index + 2 : index + 1;
    for (let i = firstSkipped; i < steps.length; i++) steps[i] = { ...steps[i]!, status: "skipped" };
    set = { steps, status, finishedAt: now };
    appendAudit(
      deps,
      tx,
      row.projectId,
      SYSTEM_ACTOR,
      { operation: `workflow.${status}`, target: row.workflowName, detail: { workflowRunId: row.id, step: index } },
      now,
    );
  }
  const updated = tx.update(workflowRuns).set(set).where(eq(workflowRuns.id, row.id)).returning().get()!;
  events.unshift(workflowRunChange(deps.state, tx, updated, "updated", now));
  return events;
}

/**
 * Stops a started workflow: its current step's run is cancelled (at once when queued; told to its
 * agent when held, ending `cancelled` when the agent stops), the rest are skipped, and the workflow
 * ends `stopped`.
 */
export function stopWorkflow(deps: Deps, projectId: string, id: string, actor: Actor): WorkflowRun {
  const now = deps.clock.now();
  const events: ChangeEvent[] = [];
  const stopped = deps.db.transaction((tx) => {
    const row = requireWorkflowRun(tx, projectId, id);
    if (row.status !== "running") throw new DomainError("CONFLICT", `This workflow already ended (${row.status})`);
    const runId = row.steps[row.currentStep]?.runId;
    const current = runId ? tx.select().from(runs).where(eq(runs.id, runId)).get() : undefined;
    const steps = row.steps.map((step, i) => (i > row.currentStep ? { ...step, status: "skipped" as const } : step));
    if (current && !isFinalRunStatus(current.status)) {
      const cancelled = tx
        .update(runs)
        .set(
          current.status === "queued"
            ? { status: "cancelled", cancelRequested: true, finishedAt: now, updatedAt: now }
            : { cancelRequested: true, updatedAt: now },
        )
        .where(eq(runs.id, current.id))
        .returning()
        .get()!;
      steps[row.currentStep] = { ...steps[row.currentStep]!, status: cancelled.status };
      events.push(runChange(deps.state, tx, cancelled, "updated", now));
    }
    const updated = tx
      .update(workflowRuns)
      .set({ status: "stopped", steps, finishedAt: now })
      .where(eq(workflowRuns.id, id))
      .returning()
      .get()!;
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "workflow.stopped", target: row.workflowName, detail: { workflowRunId: id } },
      now,
    );
    events.unshift(workflowRunChange(deps.state, tx, updated, "updated", now));
    return toWorkflowRun(updated);
  });
  publishChanges(deps, events);
  return stopped;
}

export const getWorkflowRun = ({ db }: Deps, projectId: string, id: string): WorkflowRun =>
  toWorkflowRun(requireWorkflowRun(db, projectId, id));

export function listWorkflowRuns(
  { db }: Deps,
  projectId: string,
  input: { workflowId?: string; limit: number; cursor?: string | null },
): { items: WorkflowRun[]; nextCursor: string | null } {
  const rows = db
    .select()
    .from(workflowRuns)
    .where(
      and(
        eq(workflowRuns.projectId, projectId),
        input.workflowId ? eq(workflowRuns.workflowId, input.workflowId) : undefined,
        input.cursor ? lt(workflowRuns.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(workflowRuns.id))
    .limit(input.limit + 1)
    .all();
  const items = rows.slice(0, input.limit).map(toWorkflowRun);
  return { items, nextCursor: rows.length > input.limit ? items.at(-1)!.id : null };
}
