import type { Metadata } from "next";
import { AuditPage } from "~/features/audit/audit-page";
import { AppShell } from "~/features/shell/app-shell";

export const metadata: Metadata = { title: "Audit trail" };

export default function AuditRoute() {
  return (
    <AppShell>
      <AuditPage />
    </AppShell>
  );
}
