import type { Metadata } from "next";
import { MetricsPage } from "~/features/metrics/metrics-page";
import { AppShell } from "~/features/shell/app-shell";

export const metadata: Metadata = { title: "Metrics" };

export default function MetricsRoute() {
  return (
    <AppShell>
      <MetricsPage />
    </AppShell>
  );
}
