import { workHref } from "~/features/work";

/** Where a started workflow is followed live (the project kept, as every Work link does). */
export const workflowRunHref = (id: string, projectId: string) =>
  workHref(`/work/workflows/runs/${encodeURIComponent(id)}`, projectId);

/** A step's own run, on the Runs view. */
export const runHref = (id: string, projectId: string) => workHref(`/work/runs/${encodeURIComponent(id)}`, projectId);
