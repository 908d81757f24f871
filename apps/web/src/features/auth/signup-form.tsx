"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { toFormErrors } from "~/lib/form-errors";
import { Field, FormError } from "~/ui/field";
import { Loading } from "~/ui/states";
import { AuthCard } from "./auth-card";
import { useMe } from "./hooks";
import { useSignUp } from "./sign-in-hooks";

/** `askSetupCode`: the first account on a fresh install gives the code the server printed. */
export function SignUpFields({
  inviteToken,
  submitLabel,
  askSetupCode = false,
}: {
  inviteToken?: string;
  submitLabel: string;
  askSetupCode?: boolean;
}) {
  const signUp = useSignUp();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [setupCode, setSetupCode] = useState("");
  const errors = toFormErrors(signUp.error, ["name", "email", "password", "setupCode"]);

  function submit(event: FormEvent) {
    event.preventDefault();
    signUp.mutate({
      email,
      name,
      password,
      ...(inviteToken ? { inviteToken } : {}),
      ...(askSetupCode ? { setupCode } : {}),
    });
  }

  return (
    <form onSubmit={submit} noValidate>
      <FormError message={errors.form} />
      {askSetupCode ? (
        <Field
          label="Setup code"
          errors={errors.fields.setupCode}
          hint="Printed by the Tower server when it started (npm start shows it), like ABCD-EFGH-JKMN-PQRS."
        >
          {(p) => (
            <input
              {...p}
              autoComplete="off"
              spellCheck={false}
              required
              value={setupCode}
              onChange={(e) => setSetupCode(e.target.value)}
            />
          )}
        </Field>
      ) : null}
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
      <Field
        label="Password"
        errors={errors.fields.password}
        hint="At least 10 characters; common or guessable passwords are refused. A few uncommon words work well."
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
        <Loading />
      </AuthCard>
    );
  if (me.data?.setupNeeded) {
    return (
      <AuthCard title="Create the first account">
        <p className="muted">This Tower has no users yet. The first account becomes the owner of the demo project.</p>
        <SignUpFields submitLabel="Create account" askSetupCode />
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
