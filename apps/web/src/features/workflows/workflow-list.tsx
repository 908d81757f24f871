"use client";
import type { Workflow } from "@tower/shared";
import { ago, EditDeleteButtons } from "~/features/work";
import { stepSummary } from "./format";

export interface WorkflowActions {
  canOperate: boolean;
  onStart(workflow: Workflow): void;
  onEdit(workflow: Workflow): void;
  onDelete(workflow: Workflow): void;
}

function RowActions({ workflow, actions }: { workflow: Workflow; actions: WorkflowActions }) {
  return (
    <div className="row-actions">
      <button type="button" aria-label={`Start ${workflow.name}`} onClick={() => actions.onStart(workflow)}>
        Start
      </button>
      <EditDeleteButtons
        name={workflow.name}
        onEdit={() => actions.onEdit(workflow)}
        onDelete={() => actions.onDelete(workflow)}
      />
    </div>
  );
}

/** The workflows as a table: name and description, the steps in order, last changed, actions. */
export function WorkflowTable({
  workflows,
  now,
  actions,
}: {
  workflows: Workflow[];
  now: number;
  actions: WorkflowActions;
}) {
  return (
    <div className="table-wrap">
      <table aria-label="Workflows">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Steps</th>
            <th scope="col">Changed</th>
            {actions.canOperate ? (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {workflows.map((workflow) => (
            <tr key={workflow.id} data-workflow={workflow.name}>
              <th scope="row" data-label="Name">
                {workflow.name}
                {workflow.description ? <small className="muted agent-desc">{workflow.description}</small> : null}
              </th>
              <td data-label="Steps">
                <ol className="workflow-step-names">
                  {workflow.steps.map((step) => (
                    <li key={step.name}>{stepSummary(step)}</li>
                  ))}
                </ol>
              </td>
              <td data-label="Changed" className="task-when">
                <time
                  dateTime={new Date(workflow.updatedAt).toISOString()}
                  title={new Date(workflow.updatedAt).toLocaleString()}
                >
                  {ago(workflow.updatedAt, now)}
                </time>
              </td>
              {actions.canOperate ? (
                <td data-label="Actions">
                  <RowActions workflow={workflow} actions={actions} />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
