"use client";
import { useState, type FormEvent } from "react";
import { errorMessage } from "~/lib/errors";
import { CopyButton } from "~/ui/copy-button";
import { FormError } from "~/ui/field";
import { Empty, QueryView } from "~/ui/states";
import { useCreateInvite, useInvites, useRevokeInvite } from "./hooks";

const date = (at: number | null | undefined) => (at ? new Date(at).toLocaleString() : "—");

/** Invite links: make one for a role and a lifetime, list the open ones, revoke. */
export function Invites({ projectId }: { projectId: string }) {
  const invites = useInvites(projectId, true);
  const create = useCreateInvite(projectId);
  const revoke = useRevokeInvite(projectId);
  const [role, setRole] = useState<"admin" | "operator" | "viewer">("operator");
  const [hours, setHours] = useState(72);
  const [link, setLink] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { projectId, role, expiresInHours: hours },
      // The token goes in the fragment, which browsers never send to a server: it stays out of logs.
      { onSuccess: (invite) => setLink(`${window.location.origin}/invite#${invite.token}`) },
    );
  }

  return (
    <section className="card" aria-labelledby="invites-title">
      <h2 id="invites-title">Invites</h2>
      <p className="muted">
        An invite link lets one person create an account (or join with an existing one) in this project.
      </p>
      <form className="inline-form" onSubmit={submit}>
        <FormError message={create.error ? errorMessage(create.error) : null} />
        <label>
          Invite role
          <select value={role} onChange={(e) => setRole(e.target.value as typeof role)}>
            <option value="viewer">viewer</option>
            <option value="operator">operator</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <label>
          Expires in
          <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            <option value={24}>1 day</option>
            <option value={72}>3 days</option>
            <option value={168}>7 days</option>
            <option value={720}>30 days</option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create invite link
        </button>
      </form>
      {link ? (
        <div className="secret">
          <label htmlFor="invite-link">Invite link</label>
          <div className="secret-row">
            <input id="invite-link" readOnly value={link} onFocus={(e) => e.target.select()} />
            <CopyButton text={link} />
          </div>
        </div>
      ) : null}
      <QueryView query={invites} loading="Loading invites…" empty={<Empty>No open invites.</Empty>}>
        {(list) => (
          <ul className="members">
            {list.map((invite) => (
              <li key={invite.id}>
                <span>
                  <span className="badge">{invite.role}</span>{" "}
                  <span className="muted">
                    by {invite.createdByName}, created {date(invite.createdAt)}, expires {date(invite.expiresAt)}
                  </span>
                </span>
                <button
                  type="button"
                  className="danger-text"
                  disabled={revoke.isPending}
                  onClick={() => revoke.mutate({ projectId, id: invite.id })}
                >
                  Revoke invite
                </button>
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </section>
  );
}
