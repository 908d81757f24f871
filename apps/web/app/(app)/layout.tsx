import type { ReactNode } from "react";
import { Providers } from "~/lib/providers";

/**
 * Every page that talks to the server. The data layer (TanStack Query, the tRPC client and its
 * WebSocket) is mounted here rather than in the root layout, so routes outside this group (the
 * not-found page, the `/` redirect) do not load it.
 */
export default function AppLayout({ children }: { children: ReactNode }) {
  return <Providers>{children}</Providers>;
}
