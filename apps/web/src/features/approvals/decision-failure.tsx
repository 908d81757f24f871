"use client";
import { ErrorText } from "~/ui/states";

/** A decision the server refused (someone else decided first, it expired), until dismissed. */
export function DecisionFailure({ error, onDismiss }: { error: unknown; onDismiss(): void }) {
  if (!error) return null;
  return (
    <ErrorText error={error} context="Not decided">
      {" "}
      <button type="button" className="link-button" onClick={onDismiss}>
        Dismiss
      </button>
    </ErrorText>
  );
}
