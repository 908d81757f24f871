import type { Metadata } from "next";
import { AgentDetailPage } from "~/features/agents/agent-detail-page";

export const metadata: Metadata = { title: "Agent" };

export default async function AgentRoute({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <AgentDetailPage id={decodeURIComponent(id)} />;
}
