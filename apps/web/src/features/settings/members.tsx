"use client";
import type { Role } from "@tower/shared";
import { hasRole, ROLES } from "@tower/shared/domain";
import { useState } from "react";
import { useMe } from "~/features/auth";
import { errorMessage } from "~/lib/errors";
import type { RouterOutputs } from "~/lib/trpc";
import { ConfirmDialog } from "~/ui/confirm-dialog";
import { CopyButton } from "~/ui/copy-button";
import { FormError } from "~/ui/field";
import { QueryView } from "~/ui/states";
import { useCreateResetLink, useMembers, useRemoveMember, useRevokeMemberSessions, useSetMemberRole } from "./hooks";

type Member = RouterOutputs["project"]["members"][number];

const time = (at: number) => new Date(at).toLocaleTimeString(undefined, { timeStyle: "short" });

/**
 * The project's members. Owners and admins change roles, sign a member out everywhere, make a
 * one-time password-reset link, or remove them; an admin leaves owners alone, and only owners
 * make owners (the server enforces all of it; the page only offers what can work).
 */
export function MemberList({ projectId, myRole }: { projectId: string; myRole: Role }) {
  const members = useMembers(projectId);
  const me = useMe();
  const setRole = useSetMemberRole(projectId);
  const remove = useRemoveMember(projectId);
  const signOut = useRevokeMemberSessions();
  const resetLink = useCreateResetLink();
  const [notice, setNotice] = useState<string | null>(null);
  const [link, setLink] = useState<{ name: string; url: string; expiresAt: number } | null>(null);
  /** A sign-out or removal waiting for a yes. */
  const [asking, setAsking] = useState<{ member: Member; action: "signOut" | "remove" } | null>(null);
  const manages = hasRole(myRole, "admin");
  const myId = me.data?.user?.id;
  // Sign-out and removal say theirs in their confirmation dialog.
  const failure = [setRole, resetLink].find((m) => m.error)?.error;

  const canManage = (member: Member) => manages && (member.role !== "owner" || myRole === "owner");
  const roleChoices = ROLES.filter((role) => role !== "owner" || myRole === "owner");

  function act(member: Member, action: "signOut" | "reset" | "remove") {
    setNotice(null);
    setLink(null);
    const target = { projectId, userId: member.userId };
    if (action === "signOut") {
      signOut.mutate(target, {
        onSuccess: ({ sessionsEnded }) => {
          setAsking(null);
          setNotice(`${member.name} was signed out (${sessionsEnded} session${sessionsEnded === 1 ? "" : "s"} ended).`);
        },
      });
    } else if (action === "reset") {
      resetLink.mutate(target, {
        onSuccess: ({ token, expiresAt }) =>
          setLink({ name: member.name, url: `${window.location.origin}/reset-password#${token}`, expiresAt }),
      });
    } else {
      remove.mutate(target, {
        onSuccess: () => {
          setAsking(null);
          setNotice(`${member.name} was removed from the project.`);
        },
      });
    }
  }

  /** Sign-out and removal end someone's access: asked in the page first. */
  function ask(member: Member, action: "signOut" | "remove") {
    signOut.reset();
    remove.reset();
    setAsking({ member, action });
  }

  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {manages ? null : <p className="muted">Only owners and admins see members' email addresses and manage them.</p>}
      <FormError message={failure ? errorMessage(failure) : null} />
      {notice ? <p role="status">{notice}</p> : null}
      {link ? (
        <div className="secret" role="region" aria-label="New password reset link">
          <p className="warning">
            <strong>Give this link to {link.name} now.</strong> It is shown only once, works once, and expires at{" "}
            {time(link.expiresAt)}.
          </p>
          <label htmlFor="reset-link">Password reset link</label>
          <div className="secret-row">
            <input id="reset-link" readOnly value={link.url} onFocus={(e) => e.target.select()} />
            <CopyButton text={link.url} />
          </div>
          <button type="button" onClick={() => setLink(null)}>
            Done
          </button>
        </div>
      ) : null}
      <QueryView query={members} loading="Loading members…">
        {(list) => (
          <ul className="members">
            {list.map((m) => {
              const editable = canManage(m) && m.userId !== myId;
              return (
                <li key={m.userId} data-member={m.email ?? m.name}>
                  <span>
                    <strong>{m.name}</strong>
                    {m.userId === myId ? <span className="muted"> (you)</span> : null}{" "}
                    {m.email ? <span className="muted">{m.email}</span> : null}
                  </span>
                  {editable ? (
                    <span className="row-actions">
                      <select
                        aria-label={`Role of ${m.name}`}
                        value={m.role}
                        disabled={setRole.isPending}
                        onChange={(e) => {
                          setNotice(null);
                          setRole.mutate({ projectId, userId: m.userId, role: e.target.value as Role });
                        }}
                      >
                        {roleChoices.map((role) => (
                          <option key={role} value={role}>
                            {role}
                          </option>
                        ))}
                      </select>
                      <button type="button" onClick={() => ask(m, "signOut")} disabled={signOut.isPending}>
                        Sign out everywhere
                      </button>
                      <button type="button" onClick={() => act(m, "reset")} disabled={resetLink.isPending}>
                        Reset password
                      </button>
                      <button
                        type="button"
                        className="danger-text"
                        onClick={() => ask(m, "remove")}
                        disabled={remove.isPending}
                        aria-label={`Remove ${m.name}`}
                      >
                        Remove
                      </button>
                    </span>
                  ) : (
                    <span className="badge">{m.role}</span>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </QueryView>
      {asking ? (
        <ConfirmDialog
          {...(asking.action === "signOut"
            ? {
                title: `Sign ${asking.member.name} out everywhere?`,
                body: "Every session of theirs ends, on every device, and their open pages go to sign-in. They can sign in again.",
                confirmLabel: "Sign out everywhere",
                pending: signOut.isPending,
                error: signOut.error ? errorMessage(signOut.error) : null,
              }
            : {
                title: `Remove ${asking.member.name} from this project?`,
                body: "They lose access at once and their open pages stop updating; invites they made end too. Their other projects are not affected.",
                confirmLabel: "Remove member",
                pending: remove.isPending,
                error: remove.error ? errorMessage(remove.error) : null,
              })}
          onConfirm={() => act(asking.member, asking.action)}
          onClose={() => setAsking(null)}
        />
      ) : null}
    </section>
  );
}
