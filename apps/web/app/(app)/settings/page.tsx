import type { Metadata } from "next";
import { SettingsPage } from "~/features/settings/settings-page";
import { AppShell } from "~/features/shell/app-shell";

export const metadata: Metadata = { title: "Settings" };

export default function SettingsRoute() {
  return (
    <AppShell>
      <SettingsPage />
    </AppShell>
  );
}
