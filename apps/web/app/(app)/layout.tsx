import type { ReactNode } from "react";
import { AppShell } from "~/features/shell/app-shell";
import { Providers } from "~/lib/providers";

/**
 * The signed-in pages. The data layer (TanStack Query, the tRPC client and its WebSocket) and the
 * shell (header, project switcher, live badge, menu) are rendered here, once: navigating between
 * these pages swaps only `children`, so the shell and its state survive. The data these pages
 * load is kept on the device and shown offline (`offline="keep"`, src/lib/offline-cache.ts). Routes outside the
 * groups (the not-found page, the `/` redirect) load neither.
 */
export default function AppLayout({ children }: { children: ReactNode }) {
  return (
    <Providers offline="keep">
      <AppShell>{children}</AppShell>
    </Providers>
  );
}
