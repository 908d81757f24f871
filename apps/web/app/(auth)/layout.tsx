import type { ReactNode } from "react";
import { Providers } from "~/lib/providers";

/**
 * Signing in, signing up, invitations and password resets: pages that talk to the server without
 * the signed-in shell. The data layer (TanStack Query, the tRPC client and its WebSocket) is
 * mounted here rather than in the root layout, so routes outside the groups (the not-found page,
 * the `/` redirect) do not load it.
 */
export default function AuthLayout({ children }: { children: ReactNode }) {
  return <Providers>{children}</Providers>;
}
