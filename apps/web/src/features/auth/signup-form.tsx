"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { toFormErrors } from "~/lib/errors";
import { Field, FormError } from "~/ui/field";
import { AuthCard } from "./auth-card";
import { useMe, useSignUp } from "./hooks";

export function SignUpFields({ inviteToken, submitLabel }: { inviteToken?: string; submitLabel: string }) {
  const signUp = useSignUp();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const errors = toFormErrors(signUp.error, ["name", "email", "password"]);

  function submit(event: FormEvent) {
    event.preventDefault();
    signUp.mutate({ email, name, password, ...(inviteToken ? { inviteToken } : {}) });
  }

  return (
    <form onSubmit={submit} noValidate>
      <FormError message={errors.form} />
      <Field label="Name" errors={errors.fields.name}>
        {(p) => <input {...p} autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Email" errors={errors.fields.email}>
        {(p) => (
          <input
            {...p}
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        )}
      </Field>
      <Field label="Password" errors={errors.fields.password} hint="At least 10 characters.">
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
      <button type="submit" className="primary" disabled={signUp.isPending}>
        {signUp.isPending ? "Creating account…" : submitLabel}
      </button>
    </form>
  );
}

export function SignUpPage() {
  const me = useMe();
  const router = useRouter();

  useEffect(() => {
    if (me.data?.user) router.replace("/overview");
  }, [me.data, router]);

  if (me.isPending)
    return (
      <AuthCard title="Sign up">
        <p className="loading">Loading…</p>
      </AuthCard>
    );
  if (me.data?.setupNeeded) {
    return (
      <AuthCard title="Create the first account">
        <p className="muted">This Tower has no users yet. The first account becomes the owner of the demo project.</p>
        <SignUpFields submitLabel="Create account" />
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Sign up">
      <p>
        Joining this Tower needs an invite. Ask a project admin for an invite link, then open it to create your account.
      </p>
      <p className="muted">
        Already have an account? <Link href="/login">Log in</Link>
      </p>
    </AuthCard>
  );
}
