import type { Metadata } from "next";
import { OverviewPage } from "~/features/overview/overview-page";
import { AppShell } from "~/features/shell/app-shell";

export const metadata: Metadata = { title: "Overview" };

export default function OverviewRoute() {
  return (
    <AppShell>
      <OverviewPage />
    </AppShell>
  );
}
