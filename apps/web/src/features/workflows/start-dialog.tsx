"use client";
import type { Workflow } from "@tower/shared";
import { useState, type FormEvent } from "react";
import { parseObject } from "~/features/work";
import { toFormErrors } from "~/lib/form-errors";
import { Field, FormError } from "~/ui/field";
import { useModalDialog } from "~/ui/modal";
import type { JsonObject } from "./workflow-form-values";

/** Start a workflow, with input every step receives beside its own (a JSON object, checked before sending). */
export function StartWorkflowDialog({
  workflow,
  pending,
  error,
  onStart,
  onClose,
}: {
  workflow: Workflow;
  pending: boolean;
  error: unknown;
  onStart(input: JsonObject): void;
  onClose(): void;
}) {
  const dialog = useModalDialog();
  const [input, setInput] = useState("{}");
  const [invalid, setInvalid] = useState<string | null>(null);
  const errors = toFormErrors(error, ["input"]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseObject(input);
    if ("error" in parsed) return setInvalid(parsed.error);
    setInvalid(null);
    onStart(parsed.value as JsonObject);
  }

  return (
    <dialog ref={dialog} className="dialog dialog-small" aria-labelledby="workflow-start-title" onCancel={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id="workflow-start-title">Start {workflow.name}</h2>
        <FormError message={errors.form} />
        <Field
          label="Input (JSON)"
          errors={invalid ? [invalid] : errors.fields.input}
          hint="Optional: a JSON object every step receives beside its own input."
        >
          {(p) => (
            <textarea
              {...p}
              className="json-input"
              rows={4}
              spellCheck={false}
              value={input}
              onChange={(e) => {
                setInput(e.target.value);
                setInvalid(null);
              }}
              autoFocus
            />
          )}
        </Field>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? "Starting…" : "Start workflow"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
