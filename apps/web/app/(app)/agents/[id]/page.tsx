import type { Metadata } from "next";
import { AgentDetailPage } from "~/features/agents/agent-detail-page";
import { AppShell } from "~/features/shell/app-shell";

export const metadata: Metadata = { title: "Agent" };

export default async function AgentRoute({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <AppShell>
      <AgentDetailPage id={decodeURIComponent(id)} />
    </AppShell>
  );
}
