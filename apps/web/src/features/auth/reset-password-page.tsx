"use client";
import { useState, type FormEvent } from "react";
import { toFormErrors } from "~/lib/form-errors";
import { Field, FormError } from "~/ui/field";
import { Loading } from "~/ui/states";
import { AuthCard } from "./auth-card";
import { useFragmentSecret, useResetPassword } from "./sign-in-hooks";

/**
 * Where a one-time reset link an admin made lands (`/reset-password#<token>`): the person chooses a
 * new password, every session of theirs ends, and they are signed in with the new one.
 */
export function ResetPasswordPage() {
  const token = useFragmentSecret();
  const reset = useResetPassword();
  const [password, setPassword] = useState("");
  const errors = toFormErrors(reset.error, ["password"]);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (token) reset.mutate({ token, password });
  }

  if (token === undefined)
    return (
      <AuthCard title="Set a new password">
        <Loading />
      </AuthCard>
    );
  if (token === null)
    return (
      <AuthCard title="Reset link not valid">
        <p role="alert">
          This link has no reset code in it. Open the whole link you were given, or ask an admin for a new one.
        </p>
      </AuthCard>
    );
  return (
    <AuthCard title="Set a new password">
      <p className="muted">Every session of your account ends, and you are signed in with the new password.</p>
      <form onSubmit={submit} noValidate>
        <FormError message={errors.form} />
        <Field
          label="New password"
          errors={errors.fields.password}
          hint="At least 10 characters; a few uncommon words work well."
        >
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="new-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="primary" disabled={reset.isPending}>
          {reset.isPending ? "Saving…" : "Set password and sign in"}
        </button>
      </form>
    </AuthCard>
  );
}
