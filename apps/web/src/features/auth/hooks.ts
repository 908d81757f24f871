"use client";
import { trpc } from "~/lib/trpc";

export function useMe() {
  return trpc.auth.me.useQuery(undefined, { staleTime: 30_000 });
}

/**
 * After signing in, everything cached (and the WebSocket, authenticated when it opened) belongs to
 * the signed-out visitor: a full page load starts clean.
 */
function useResetAfterAuth() {
  return (to = "/overview") => {
    window.location.assign(to);
  };
}

export function useLogIn() {
  const reset = useResetAfterAuth();
  return trpc.auth.logIn.useMutation({ onSuccess: () => reset() });
}

export function useSignUp() {
  const reset = useResetAfterAuth();
  return trpc.auth.signUp.useMutation({ onSuccess: () => reset() });
}

export function useLogOut() {
  // A fresh page load also drops the cache and the WebSocket opened with the old session.
  return trpc.auth.logOut.useMutation({ onSettled: () => window.location.assign("/login") });
}

export function useInvitePreview(token: string) {
  return trpc.invite.preview.useQuery({ token }, { retry: false });
}

export function useAcceptInvite() {
  return trpc.invite.accept.useMutation({
    onSuccess: ({ projectId }) => window.location.assign(`/overview?project=${encodeURIComponent(projectId)}`),
  });
}
