"use client";
import type { Workflow } from "@tower/shared";
import { WORK_LIMITS } from "@tower/shared/domain";
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Field, FormError } from "~/ui/field";
import { useModalDialog } from "~/ui/modal";
import { StepFields, type StepMove } from "./step-fields";
import { toWorkflowErrors } from "./workflow-errors";
import {
  emptyStep,
  emptyValues,
  fromWorkflow,
  moveStep,
  toFields,
  type StepValues,
  type WorkflowErrors,
  type WorkflowFields,
  type WorkflowValues,
} from "./workflow-form-values";

interface WorkflowFormProps {
  workflow: Workflow | null;
  pending: boolean;
  error: unknown;
  onSubmit(fields: WorkflowFields): void;
  onClose(): void;
}

/** The server's messages edited away since they came (`of`: the error they came with). */
interface Edited {
  of: unknown;
  keys: string[];
  steps: boolean;
}

/** Drops the messages of one field, or of every step (their indexes no longer match once steps move). */
const without = (errors: WorkflowErrors, key: string | null) =>
  Object.fromEntries(
    Object.entries(errors).filter(([k]) => (key === null ? !k.startsWith("steps") : k !== key)),
  ) as WorkflowErrors;

/**
 * Define (workflow = null) or edit a workflow in a modal dialog: its name, description and ordered
 * steps, added, removed and moved in place. JSON and numbers are checked before sending; the
 * server's messages appear at the fields (and steps) they name.
 */
export function WorkflowFormDialog({ workflow, pending, error, onSubmit, onClose }: WorkflowFormProps) {
  const dialog = useModalDialog();
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<WorkflowValues>(() => (workflow ? fromWorkflow(workflow) : emptyValues()));
  const [clientErrors, setClientErrors] = useState<WorkflowErrors>({});
  // The server's messages for the last submit, less those whose field was edited since (all the
  // steps' once steps move: their indexes no longer match).
  const server = useMemo(() => toWorkflowErrors(error), [error]);
  const [edited, setEdited] = useState<Edited>({ of: null, keys: [], steps: false });
  const since = edited.of === error ? edited : { of: error, keys: [], steps: false };
  const serverErrors = Object.fromEntries(
    Object.entries(server.fields).filter(
      ([key]) => !since.keys.includes(key) && !(since.steps && key.startsWith("steps")),
    ),
  ) as WorkflowErrors;
  const [attempts, setAttempts] = useState(0);
  // Where focus goes after a step moves or goes: the moved step's same button, or Add step.
  const [focusAfter, setFocusAfter] = useState<{ key: string; move: StepMove } | null>(null);

  const fieldErrors = (key: string) => clientErrors[key] ?? serverErrors[key];
  const errors: WorkflowErrors = { ...serverErrors, ...clientErrors };

  const clear = (key: string | null) => {
    setClientErrors((e) => without(e, key));
    setEdited((e) => {
      const base = e.of === error ? e : { of: error, keys: [], steps: false };
      return key === null ? { ...base, steps: true } : { ...base, keys: [...base.keys, key] };
    });
  };

  const changeStep = (index: number) => (patch: Partial<StepValues>, field: string) => {
    setValues((v) => ({ ...v, steps: v.steps.map((s, i) => (i === index ? { ...s, ...patch } : s)) }));
    clear(`steps.${index}.${field}`);
  };

  const move = (index: number) => (how: StepMove) => {
    const key = values.steps[index]!.key;
    setValues((v) => ({
      ...v,
      steps:
        how === "remove"
          ? v.steps.filter((_, i) => i !== index)
          : moveStep(v.steps, index, index + (how === "up" ? -1 : 1)),
    }));
    clear(null);
    setFocusAfter({ key, move: how });
  };

  function addStep() {
    const step = emptyStep();
    setValues((v) => ({ ...v, steps: [...v.steps, step] }));
    clear("steps");
    setFocusAfter({ key: step.key, move: "down" });
  }

  useEffect(() => {
    if (!focusAfter || !form.current) return;
    const step = form.current.querySelector(`[data-step-key="${focusAfter.key}"]`);
    const target =
      focusAfter.move === "remove" || !step
        ? form.current.querySelector<HTMLElement>("[data-add-step]")
        : (step.querySelector<HTMLElement>(`[data-move="${focusAfter.move}"]:not([disabled])`) ??
          step.querySelector<HTMLElement>("input"));
    target?.focus();
    setFocusAfter(null);
  }, [focusAfter]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const result = toFields(values);
    setAttempts((n) => n + 1);
    if ("errors" in result) return setClientErrors(result.errors);
    setClientErrors({});
    onSubmit(result.fields);
  }

  // After a refused submit (here or by the server), the first field with a message gets the focus.
  useEffect(() => {
    if (attempts > 0 || error) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [attempts, error]);

  const title = workflow ? `Edit ${workflow.name}` : "New workflow";
  return (
    <dialog ref={dialog} className="dialog workflow-dialog" aria-labelledby="workflow-form-title" onCancel={onClose}>
      <form ref={form} onSubmit={submit} noValidate>
        <h2 id="workflow-form-title">{title}</h2>
        <FormError message={server.form} />
        <div className="form-grid">
          <Field label="Name" errors={fieldErrors("name")}>
            {(p) => (
              <input
                {...p}
                required
                autoComplete="off"
                value={values.name}
                onChange={(e) => {
                  setValues((v) => ({ ...v, name: e.target.value }));
                  clear("name");
                }}
                autoFocus
              />
            )}
          </Field>
          <Field label="Description" errors={fieldErrors("description")}>
            {(p) => (
              <input
                {...p}
                value={values.description}
                onChange={(e) => {
                  setValues((v) => ({ ...v, description: e.target.value }));
                  clear("description");
                }}
              />
            )}
          </Field>
        </div>
        <h3 id="workflow-steps-title">Steps</h3>
        <p className="hint">They run in this order, each once the one before it succeeded.</p>
        {fieldErrors("steps") ? (
          <p className="field-error" role="alert" data-steps-error>
            {fieldErrors("steps")![0]}
          </p>
        ) : null}
        <ol className="workflow-steps" aria-labelledby="workflow-steps-title">
          {values.steps.map((step, index) => (
            <StepFields
              key={step.key}
              step={step}
              index={index}
              count={values.steps.length}
              errors={errors}
              onChange={changeStep(index)}
              onMove={move(index)}
            />
          ))}
        </ol>
        <button
          type="button"
          data-add-step
          disabled={values.steps.length >= WORK_LIMITS.workflowSteps}
          onClick={addStep}
        >
          Add step
        </button>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? "Saving…" : workflow ? "Save changes" : "Create workflow"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
