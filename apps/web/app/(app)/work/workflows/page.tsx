import type { Metadata } from "next";
import { WorkflowsPage } from "~/features/workflows/workflows-page";

export const metadata: Metadata = { title: "Work: workflows" };

export default function WorkflowsRoute() {
  return <WorkflowsPage />;
}
