import type { Metadata } from "next";
import { WorkflowRunPage } from "~/features/workflows/workflow-run-page";

export const metadata: Metadata = { title: "Workflow run" };

export default async function WorkflowRunRoute({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <WorkflowRunPage id={decodeURIComponent(id)} />;
}
