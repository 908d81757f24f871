"use client";
import { useState, type FormEvent } from "react";
import { errorMessage } from "~/lib/errors";
import { toFormErrors } from "~/lib/form-errors";
import { Field, FormError } from "~/ui/field";
import { ErrorText, Loading } from "~/ui/states";
import { useChangePassword, useMySessions, useRevokeMySession } from "./hooks";

const date = (at: number) => new Date(at).toLocaleString();

/** A user agent in a few words ("Firefox on Linux"), enough to tell one's own devices apart. */
function describeAgent(userAgent: string | null): string {
  if (!userAgent) return "Unknown device";
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrome\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : (userAgent.split(/[\s/]/)[0] ?? "Unknown");
  const os = /Android/.test(userAgent)
    ? "Android"
    : /iPhone|iPad/.test(userAgent)
      ? "iOS"
      : /Mac OS X/.test(userAgent)
        ? "macOS"
        : /Windows/.test(userAgent)
          ? "Windows"
          : /Linux/.test(userAgent)
            ? "Linux"
            : null;
  return os ? `${browser} on ${os}` : browser;
}

function ChangePassword() {
  const change = useChangePassword();
  const [currentPassword, setCurrent] = useState("");
  const [newPassword, setNew] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const errors = toFormErrors(change.error, ["currentPassword", "newPassword"]);

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    change.mutate(
      { currentPassword, newPassword },
      {
        onSuccess: ({ sessionsEnded }) => {
          setCurrent("");
          setNew("");
          setDone(
            sessionsEnded > 0
              ? `Password changed. ${sessionsEnded} other session${sessionsEnded === 1 ? " was" : "s were"} signed out.`
              : "Password changed.",
          );
        },
      },
    );
  }

  return (
    <form className="inline-form" onSubmit={submit} noValidate aria-label="Change password">
      <FormError message={errors.form} />
      <Field label="Current password" errors={errors.fields.currentPassword}>
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="current-password"
            value={currentPassword}
            onChange={(e) => setCurrent(e.target.value)}
          />
        )}
      </Field>
      <Field label="New password" errors={errors.fields.newPassword}>
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="new-password"
            value={newPassword}
            onChange={(e) => setNew(e.target.value)}
          />
        )}
      </Field>
      <button type="submit" className="primary" disabled={change.isPending}>
        Change password
      </button>
      {done ? <p role="status">{done}</p> : null}
    </form>
  );
}

function Sessions() {
  const sessions = useMySessions();
  const revoke = useRevokeMySession();
  if (sessions.isPending) return <Loading label="Loading sessions…" />;
  if (sessions.error) return <ErrorText error={sessions.error} />;
  return (
    <>
      <FormError message={revoke.error ? errorMessage(revoke.error) : null} />
      <ul className="members" aria-label="Your sessions">
        {sessions.data.map((s) => (
          <li key={s.id}>
            <span>
              <strong>{describeAgent(s.userAgent)}</strong>
              {s.current ? <span className="badge status-idle"> this device</span> : null}{" "}
              <span className="muted">
                {s.clientAddress ?? "unknown address"} · signed in {date(s.createdAt)} · last used {date(s.lastSeenAt)}{" "}
                · ends {date(s.idleExpiresAt)} unless used
              </span>
            </span>
            <button
              type="button"
              className="danger-text"
              disabled={revoke.isPending}
              aria-label={
                s.current
                  ? "Sign out this session"
                  : `Sign out ${describeAgent(s.userAgent)} (${s.clientAddress ?? "unknown"})`
              }
              onClick={() => revoke.mutate({ id: s.id })}
            >
              Sign out
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

/** The signed-in person's own account: their password and where they are signed in. */
export function AccountSecurity() {
  return (
    <section className="card" aria-labelledby="account-title">
      <h2 id="account-title">Your account</h2>
      <p className="muted">
        Changing your password signs out every other session. A session ends after a week unused, and after 30 days in
        any case.
      </p>
      <ChangePassword />
      <h3>Where you are signed in</h3>
      <Sessions />
    </section>
  );
}
