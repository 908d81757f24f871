import type { Metadata } from "next";
import { AgentsPage } from "~/features/agents/agents-page";
import { AppShell } from "~/features/shell/app-shell";

export const metadata: Metadata = { title: "Agents" };

export default function AgentsRoute() {
  return (
    <AppShell>
      <AgentsPage />
    </AppShell>
  );
}
