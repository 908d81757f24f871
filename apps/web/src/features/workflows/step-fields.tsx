"use client";
import { STEP_FAILURE_POLICIES, WORK_LIMITS } from "@tower/shared/domain";
import { Field } from "~/ui/field";
import { FAILURE_LABELS } from "./format";
import type { StepValues, WorkflowErrors } from "./workflow-form-values";

const TARGETS = [
  { value: "role", label: "Any agent with a role" },
  { value: "agent", label: "One named agent" },
  { value: "any", label: "Any agent" },
] as const;

export type StepMove = "up" | "down" | "remove";

/**
 * One step of the workflow form, as a fieldset named "Step 2": its name, who runs it, its input,
 * what happens when it fails and how long it may take; buttons move it or remove it.
 */
export function StepFields({
  step,
  index,
  count,
  errors,
  onChange,
  onMove,
}: {
  step: StepValues;
  index: number;
  count: number;
  errors: WorkflowErrors;
  onChange(patch: Partial<StepValues>, field: string): void;
  onMove(move: StepMove): void;
}) {
  const at = (field: string) => errors[`steps.${index}.${field}`];
  const label = `Step ${index + 1}`;
  return (
    <li className="workflow-step" data-step-key={step.key}>
      <fieldset>
        <legend>{label}</legend>
        <div className="form-grid">
          <Field label="Step name" errors={at("name")} hint="Later steps read this step's output by it.">
            {(p) => (
              <input
                {...p}
                autoComplete="off"
                value={step.name}
                onChange={(e) => onChange({ name: e.target.value }, "name")}
              />
            )}
          </Field>
          <Field label="On failure" errors={at("onFailure")}>
            {(p) => (
              <select
                {...p}
                value={step.onFailure}
                onChange={(e) => onChange({ onFailure: e.target.value as StepValues["onFailure"] }, "onFailure")}
              >
                {STEP_FAILURE_POLICIES.map((policy) => (
                  <option key={policy} value={policy}>
                    {FAILURE_LABELS[policy]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Who runs it" errors={step.targetKind === "any" ? at("target") : undefined}>
            {(p) => (
              <select
                {...p}
                value={step.targetKind}
                onChange={(e) => onChange({ targetKind: e.target.value as StepValues["targetKind"] }, "target")}
              >
                {TARGETS.map((t) => (
                  <option key={t.value} value={t.value}>
                    {t.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {step.targetKind !== "any" ? (
            <Field label={step.targetKind === "role" ? "Role" : "Agent name"} errors={at("target")}>
              {(p) => (
                <input
                  {...p}
                  autoComplete="off"
                  value={step.targetValue}
                  onChange={(e) => onChange({ targetValue: e.target.value }, "target")}
                />
              )}
            </Field>
          ) : (
            <div />
          )}
          <div className="full-span">
            <Field
              label="Input (JSON)"
              errors={at("input")}
              hint="A JSON object; the run also receives the workflow's input and earlier steps' outputs under steps."
            >
              {(p) => (
                <textarea
                  {...p}
                  className="json-input"
                  rows={3}
                  spellCheck={false}
                  value={step.input}
                  onChange={(e) => onChange({ input: e.target.value }, "input")}
                />
              )}
            </Field>
          </div>
          <Field
            label="Maximum duration (seconds)"
            errors={at("maxDurationSeconds")}
            hint={`Longer, and the step times out; 1 to ${WORK_LIMITS.durationSeconds}.`}
          >
            {(p) => (
              <input
                {...p}
                inputMode="numeric"
                autoComplete="off"
                value={step.maxDurationSeconds}
                onChange={(e) => onChange({ maxDurationSeconds: e.target.value }, "maxDurationSeconds")}
              />
            )}
          </Field>
        </div>
        <div className="row-actions step-actions">
          <button
            type="button"
            data-move="up"
            aria-label={`Move ${label} up`}
            disabled={index === 0}
            onClick={() => onMove("up")}
          >
            Up
          </button>
          <button
            type="button"
            data-move="down"
            aria-label={`Move ${label} down`}
            disabled={index === count - 1}
            onClick={() => onMove("down")}
          >
            Down
          </button>
          <button
            type="button"
            className="danger-text"
            aria-label={`Remove ${label}`}
            disabled={count === 1}
            onClick={() => onMove("remove")}
          >
            Remove
          </button>
        </div>
      </fieldset>
    </li>
  );
}
