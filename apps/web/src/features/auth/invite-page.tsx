"use client";
import Link from "next/link";
import { errorMessage } from "~/lib/errors";
import { FormError } from "~/ui/field";
import { Loading } from "~/ui/states";
import { AuthCard } from "./auth-card";
import { useMe } from "./hooks";
import { useAcceptInvite, useFragmentSecret, useInvitePreview } from "./sign-in-hooks";
import { SignUpFields } from "./signup-form";

/** An invite link as Settings makes them: `/invite#<token>`, the token never sent in a request line. */
export function InviteFromFragment() {
  const token = useFragmentSecret();
  if (token === undefined)
    return (
      <AuthCard title="Invitation">
        <Loading />
      </AuthCard>
    );
  if (token === null) {
    return (
      <AuthCard title="Invitation not valid">
        <p role="alert">This link has no invite in it.</p>
        <p className="muted">Open the whole link you were sent, or ask for a new one.</p>
      </AuthCard>
    );
  }
  return <InvitePage token={token} />;
}

export function InvitePage({ token }: { token: string }) {
  const preview = useInvitePreview(token);
  const me = useMe();
  const accept = useAcceptInvite();

  if (preview.isIdle || preview.isPending || me.isPending)
    return (
      <AuthCard title="Invitation">
        <Loading />
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
  if (!preview.data) return null;
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
