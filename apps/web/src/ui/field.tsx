"use client";
import { useId, type ReactNode } from "react";

interface FieldProps {
  label: string;
  errors?: string[] | undefined;
  hint?: string;
  children: (props: { id: string; "aria-invalid": boolean; "aria-describedby": string | undefined }) => ReactNode;
}

/**
 * A labelled input with its hint and its message right below it: one (the first rule it failed),
 * or one per item of a list that failed (two bad path scopes: both named).
 */
export function Field({ label, errors, hint, children }: FieldProps) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const hasError = Boolean(errors && errors.length > 0);
  const describedBy = [hint ? hintId : null, hasError ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${hasError ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": hasError, "aria-describedby": describedBy })}
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {hasError ? (
        <p className="field-error" id={errorId} role="alert">
          {errors?.join(" ")}
        </p>
      ) : null}
    </div>
  );
}

export function FormError({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p className="form-error" role="alert">
      {message}
    </p>
  );
}
