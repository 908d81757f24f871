"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { toFormErrors } from "~/lib/form-errors";
import { Field, FormError } from "~/ui/field";
import { AuthCard } from "./auth-card";
import { useMe } from "./hooks";
import { returnPath, useLogIn } from "./sign-in-hooks";

export function LoginForm() {
  const me = useMe();
  const router = useRouter();
  const logIn = useLogIn();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const errors = toFormErrors(logIn.error, ["email", "password"]);

  useEffect(() => {
    if (me.data?.user) router.replace(returnPath());
    else if (me.data?.setupNeeded) router.replace("/signup");
  }, [me.data, router]);

  function submit(event: FormEvent) {
    event.preventDefault();
    logIn.mutate({ email, password });
  }

  return (
    <AuthCard title="Log in">
      <form onSubmit={submit} noValidate>
        <FormError message={errors.form} />
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
        <Field label="Password" errors={errors.fields.password}>
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="primary" disabled={logIn.isPending}>
          {logIn.isPending ? "Logging in…" : "Log in"}
        </button>
      </form>
      {/* Sign-up is open only for the very first account; after that, people join by invite. */}
      {me.data?.setupNeeded ? (
        <p className="muted">
          New here? <Link href="/signup">Create an account</Link>
        </p>
      ) : me.data ? (
        <p className="muted">
          New here? Joining this Tower needs an invite link from a project owner or admin. Open the link to create your
          account.
        </p>
      ) : null}
    </AuthCard>
  );
}
