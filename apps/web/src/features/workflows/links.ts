import { workHref } from "~/features/work";

/** Where a started workflow is followed live (the project kept, as every Work link does). */
export const workflowRunHref = (id: string, projectId: string) =>
  workHref(`/work/workflows/runs/${encodeURIComponent(id)}`, projectId);
