"use client";
import { useEffect, useState } from "react";
import { trpc } from "~/lib/trpc";

// Signing in, signing up, and what invite and reset links do; loaded by those pages only.

/**
 * After signing in, everything cached (and the WebSocket, authenticated when it opened) belongs to
 * the signed-out visitor: a full page load starts clean.
 */
function useResetAfterAuth() {
  return (to = "/overview") => {
    window.location.assign(to);
  };
}

/**
 * Where to go after signing in: the page that sent the visitor here (`?next=`, set by the shell),
 * if it is a path of this site, else Overview.
 */
export function returnPath(): string {
  const next = new URLSearchParams(window.location.search).get("next");
  if (!next?.startsWith("/")) return "/overview";
  // Parsed as the browser would follow it: `//host`, `/\host` and the like lead off this site.
  const target = new URL(next, window.location.origin);
  return target.origin === window.location.origin ? `${target.pathname}${target.search}${target.hash}` : "/overview";
}

export function useLogIn() {
  const reset = useResetAfterAuth();
  return trpc.auth.logIn.useMutation({ onSuccess: () => reset(returnPath()) });
}

export function useSignUp() {
  const reset = useResetAfterAuth();
  return trpc.auth.signUp.useMutation({ onSuccess: () => reset() });
}

/**
 * What an invite offers. A mutation (POST) though it changes nothing: the token must never travel
 * in a GET URL, which proxies and access logs keep. Asked once per token.
 */

export function useInvitePreview(token: string | null) {
  const preview = trpc.invite.preview.useMutation({ retry: false });
  const { mutate } = preview;
  useEffect(() => {
    if (token) mutate({ token });
  }, [token, mutate]);
  return preview;
}

/** Spends a one-time reset link; a full page load then starts the new session clean. */

export function useResetPassword() {
  const reset = useResetAfterAuth();
  return trpc.auth.resetPassword.useMutation({ onSuccess: () => reset() });
}

/**
 * A secret passed in the page URL's fragment (`/invite#<token>`): browsers never send the fragment
 * to the server, so it stays out of request lines and logs. Read after hydration.
 */

export function useFragmentSecret(): string | null | undefined {
  const [secret, setSecret] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    const read = () => setSecret(decodeURIComponent(window.location.hash.slice(1)) || null);
    read();
    window.addEventListener("hashchange", read);
    return () => window.removeEventListener("hashchange", read);
  }, []);
  return secret;
}

export function useAcceptInvite() {
  return trpc.invite.accept.useMutation({
    onSuccess: ({ projectId }) => window.location.assign(`/overview?project=${encodeURIComponent(projectId)}`),
  });
}
