import { workflowRuns, workflows, type DbOrTx } from "@tower/db";
import type { ChangeEvent, Workflow, WorkflowRun } from "@tower/shared";
import { and, eq } from "drizzle-orm";
import { recordChange } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";
import { notFound } from "../core/errors";

export type WorkflowRow = typeof workflows.$inferSelect;
export type WorkflowRunRow = typeof workflowRuns.$inferSelect;

export const toWorkflow = (row: WorkflowRow): Workflow => row;
export const toWorkflowRun = ({ input: _input, ...row }: WorkflowRunRow): WorkflowRun => row;

export function requireWorkflow(tx: DbOrTx, projectId: string, id: string): WorkflowRow {
  const row = tx
    .select()
    .from(workflows)
    .where(and(eq(workflows.projectId, projectId), eq(workflows.id, id)))
    .get();
  if (!row) throw notFound("Workflow");
  return row;
}

export function findWorkflowByName(tx: DbOrTx, projectId: string, name: string): WorkflowRow | undefined {
  return tx
    .select()
    .from(workflows)
    .where(and(eq(workflows.projectId, projectId), eq(workflows.name, name)))
    .get();
}

export function requireWorkflowRun(tx: DbOrTx, projectId: string, id: string): WorkflowRunRow {
  const row = tx
    .select()
    .from(workflowRuns)
    .where(and(eq(workflowRuns.projectId, projectId), eq(workflowRuns.id, id)))
    .get();
  if (!row) throw notFound("Workflow run");
  return row;
}

export function workflowChange(
  state: ConnectionState,
  tx: DbOrTx,
  row: WorkflowRow,
  op: "created" | "updated",
  now: number,
): ChangeEvent {
  return recordChange(state, tx, { projectId: row.projectId, entity: "workflow", op, at: now, data: toWorkflow(row) });
}

export function workflowRunChange(
  state: ConnectionState,
  tx: DbOrTx,
  row: WorkflowRunRow,
  op: "created" | "updated",
  now: number,
): ChangeEvent {
  return recordChange(state, tx, {
    projectId: row.projectId,
    entity: "workflowRun",
    op,
    at: now,
    data: toWorkflowRun(row),
  });
}
