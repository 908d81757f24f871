import type { Metadata } from "next";
import { ImportPage } from "~/features/import/import-page";
import { AppShell } from "~/features/shell/app-shell";

export const metadata: Metadata = { title: "Import agents" };

export default function ImportRoute() {
  return (
    <AppShell>
      <ImportPage />
    </AppShell>
  );
}
