import type { Workflow, WorkflowRun } from "@tower/shared";

// Where a pushed change sorts, as the server orders each list (SQL there, copied here).

/** Workflows by name, A to Z (SQLite's binary order). */
export const compareWorkflows = (a: Workflow, b: Workflow) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
/** Started workflows newest first: ids are UUIDv7, so they sort by start time. */
export const compareWorkflowRuns = (a: WorkflowRun, b: WorkflowRun) => (a.id > b.id ? -1 : a.id < b.id ? 1 : 0);
