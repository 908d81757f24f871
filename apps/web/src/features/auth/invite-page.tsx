"use client";
import Link from "next/link";
import { errorMessage } from "~/lib/errors";
import { FormError } from "~/ui/field";
import { AuthCard } from "./auth-card";
import { useAcceptInvite, useInvitePreview, useMe } from "./hooks";
import { SignUpFields } from "./signup-form";

export function InvitePage({ token }: { token: string }) {
  const preview = useInvitePreview(token);
  const me = useMe();
  const accept = useAcceptInvite();

  if (preview.isPending || me.isPending)
    return (
      <AuthCard title="Invitation">
        <p className="loading">Loading…</p>
      </AuthCard>
    );
  if (preview.error) {
    return (
      <AuthCard title="Invitation not valid">
        <p role="alert">{errorMessage(preview.error)}</p>
        <p className="muted">The link may have expired, been revoked or already used. Ask for a new one.</p>
      </AuthCard>
    );
  }
  const { projectName, role } = preview.data;
  const user = me.data?.user;
  return (
    <AuthCard title={`Join ${projectName}`}>
      <p>
        You are invited to <strong>{projectName}</strong> as <strong>{role}</strong>.
      </p>
      {user ? (
        <>
          <p className="muted">Signed in as {user.email}.</p>
          <FormError message={accept.error ? errorMessage(accept.error) : null} />
          <button
            type="button"
            className="primary"
            disabled={accept.isPending}
            onClick={() => accept.mutate({ token })}
          >
            Accept invite
          </button>
        </>
      ) : (
        <>
          <SignUpFields inviteToken={token} submitLabel="Create account and join" />
          <p className="muted">
            Already have an account? <Link href={`/login`}>Log in</Link>, then open this link again.
          </p>
        </>
      )}
    </AuthCard>
  );
}
