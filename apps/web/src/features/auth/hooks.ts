"use client";
import { trpc } from "~/lib/trpc";

// Who is signed in, and signing out: what every signed-in page needs (the shell loads it).
// Signing in, up, and through invite or reset links is in sign-in-hooks.ts, loaded by those pages only.

export function useMe() {
  return trpc.auth.me.useQuery(undefined, { staleTime: 30_000 });
}

export function useLogOut() {
  // A fresh page load also drops the cache and the WebSocket opened with the old session.
  return trpc.auth.logOut.useMutation({ onSettled: () => window.location.assign("/login") });
}
