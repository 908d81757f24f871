import { workflows } from "@tower/db";
import type { Actor, ChangeEvent, Workflow, WorkflowStep } from "@tower/shared";
import { and, asc, eq, gt } from "drizzle-orm";
import { appendAudit } from "../core/audit-chain";
import { publishChanges, recordChange } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { newId } from "../core/tokens";
import { findWorkflowByName, requireWorkflow, toWorkflow, workflowChange, type WorkflowRow } from "./workflow-rows";

// Defining workflows: ordered steps, each for a role or a named agent. Starting and stopping them
// is in workflow-runs.ts.

function assertNameFree(deps: Deps, projectId: string, name: string, exceptId?: string) {
  const clash = findWorkflowByName(deps.db, projectId, name);
  if (clash && clash.id !== exceptId) {
    throw new DomainError("CONFLICT", `A workflow named "${name}" already exists in this project`, { field: "name" });
  }
}

export function createWorkflow(
  deps: Deps,
  projectId: string,
  input: { name: string; description: string; steps: WorkflowStep[] },
  actor: Actor,
): Workflow {
  const now = deps.clock.now();
  let event: ChangeEvent | null = null;
  const workflow = deps.db.transaction((tx) => {
    assertNameFree(deps, projectId, input.name);
    const row = tx
      .insert(workflows)
      .values({ id: newId(), projectId, ...input, createdAt: now, updatedAt: now })
      .returning()
      .get();
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "workflow.created", target: row.name, detail: { workflowId: row.id, steps: row.steps.length } },
      now,
    );
    event = workflowChange(deps.state, tx, row, "created", now);
    return toWorkflow(row);
  });
  publishChanges(deps, [event]);
  return workflow;
}

export function updateWorkflow(
  deps: Deps,
  projectId: string,
  id: string,
  changes: { name?: string; description?: string; steps?: WorkflowStep[] },
  actor: Actor,
): Workflow {
  const now = deps.clock.now();
  let event: ChangeEvent | null = null;
  const workflow = deps.db.transaction((tx) => {
    requireWorkflow(tx, projectId, id);
    if (changes.name !== undefined) assertNameFree(deps, projectId, changes.name, id);
    const row = tx
      .update(workflows)
      .set({ ...changes, updatedAt: now })
      .where(eq(workflows.id, id))
      .returning()
      .get()!;
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "workflow.updated", target: row.name, detail: { workflowId: id, fields: Object.keys(changes) } },
      now,
    );
    event = workflowChange(deps.state, tx, row, "updated", now);
    return toWorkflow(row);
  });
  publishChanges(deps, [event]);
  return workflow;
}

/** Removes the definition; workflows already started finish with the definition they started with. */
export function deleteWorkflow(deps: Deps, projectId: string, id: string, actor: Actor): { id: string } {
  const now = deps.clock.now();
  let event: ChangeEvent | null = null;
  deps.db.transaction((tx) => {
    const row = requireWorkflow(tx, projectId, id);
    tx.delete(workflows).where(eq(workflows.id, id)).run();
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "workflow.deleted", target: row.name, detail: { workflowId: id } },
      now,
    );
    event = recordChange(deps.state, tx, {
      projectId,
      entity: "workflow",
      op: "deleted",
      at: now,
      data: { id, name: row.name },
    });
  });
  publishChanges(deps, [event]);
  return { id };
}

export const getWorkflow = ({ db }: Deps, projectId: string, id: string): Workflow =>
  toWorkflow(requireWorkflow(db, projectId, id));

/** By name, A to Z, a page at a time. */
export function listWorkflows(
  { db }: Deps,
  projectId: string,
  input: { limit: number; cursor?: string | null },
): { items: Workflow[]; nextCursor: string | null } {
  const rows: WorkflowRow[] = db
    .select()
    .from(workflows)
    .where(and(eq(workflows.projectId, projectId), input.cursor ? gt(workflows.name, input.cursor) : undefined))
    .orderBy(asc(workflows.name))
    .limit(input.limit + 1)
    .all();
  const items = rows.slice(0, input.limit).map(toWorkflow);
  return { items, nextCursor: rows.length > input.limit ? items.at(-1)!.name : null };
}
