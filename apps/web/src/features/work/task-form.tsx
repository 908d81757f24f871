"use client";
import type { Task } from "@tower/shared";
import { MISSED_FIRE_POLICIES, WORK_LIMITS } from "@tower/shared/domain";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { toFormErrors } from "~/lib/form-errors";
import { Field, FormError } from "~/ui/field";
import { useModalDialog } from "~/ui/modal";
import { SchedulePreview } from "./schedule-preview";
import { emptyValues, fromTask, TASK_FIELDS, toFields, type TaskFields, type TaskValues } from "./task-form-values";

const TARGETS = [
  { value: "any", label: "Any agent" },
  { value: "role", label: "Any agent with a role" },
  { value: "agent", label: "One named agent" },
] as const;

const MISSED_LABELS: Record<(typeof MISSED_FIRE_POLICIES)[number], string> = {
  run_once: "Run once when Tower is back",
  skip: "Skip them",
};

interface TaskFormProps {
  projectId: string;
  task: Task | null;
  pending: boolean;
  error: unknown;
  onSubmit(fields: TaskFields): void;
  onClose(): void;
}

/**
 * Create (task = null) or edit a task in a modal dialog, with a live preview of its schedule. JSON
 * and whole numbers are checked before sending; the server's errors appear at their fields.
 */
export function TaskFormDialog({ projectId, task, pending, error, onSubmit, onClose }: TaskFormProps) {
  const dialog = useModalDialog();
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<TaskValues>(() => (task ? fromTask(task) : emptyValues()));
  const [clientErrors, setClientErrors] = useState<Record<string, string[]>>({});
  const [attempts, setAttempts] = useState(0);
  const errors = toFormErrors(error, TASK_FIELDS);
  const fieldErrors = (key: string) => clientErrors[key] ?? errors.fields[key];

  const set =
    <K extends keyof TaskValues>(key: K, errorKey: string = key) =>
    (value: TaskValues[K]) => {
      setValues((v) => ({ ...v, [key]: value }));
      setClientErrors(({ [errorKey]: _edited, ...rest }) => rest);
    };
  const text = (key: keyof TaskValues, errorKey?: string) => (event: { target: { value: string } }) =>
    set(key, errorKey)(event.target.value as never);

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

  const number = (key: keyof TaskValues, label: string, hint: string) => (
    <Field label={label} errors={fieldErrors(key)} hint={hint}>
      {(p) => <input {...p} inputMode="numeric" autoComplete="off" value={String(values[key])} onChange={text(key)} />}
    </Field>
  );

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="task-form-title" onCancel={onClose}>
      <form ref={form} onSubmit={submit} noValidate>
        <h2 id="task-form-title">{task ? `Edit ${task.name}` : "New task"}</h2>
        <FormError message={errors.form} />
        <div className="form-grid">
          <Field label="Name" errors={fieldErrors("name")}>
            {(p) => <input {...p} required value={values.name} onChange={text("name")} autoFocus />}
          </Field>
          <Field label="Description" errors={fieldErrors("description")}>
            {(p) => <input {...p} value={values.description} onChange={text("description")} />}
          </Field>
          <Field label="Who runs it" errors={values.targetKind === "any" ? fieldErrors("target") : undefined}>
            {(p) => (
              <select
                {...p}
                value={values.targetKind}
                onChange={(e) => set("targetKind", "target")(e.target.value as TaskValues["targetKind"])}
              >
                {TARGETS.map((t) => (
                  <option key={t.value} value={t.value}>
                    {t.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {values.targetKind !== "any" ? (
            <Field label={values.targetKind === "role" ? "Role" : "Agent name"} errors={fieldErrors("target")}>
              {(p) => <input {...p} value={values.targetValue} onChange={text("targetValue", "target")} />}
            </Field>
          ) : (
            <div />
          )}
          <div className="full-span">
            <Field label="Input (JSON)" errors={fieldErrors("input")} hint="A JSON object each run receives.">
              {(p) => (
                <textarea
                  {...p}
                  className="json-input"
                  rows={4}
                  spellCheck={false}
                  value={values.input}
                  onChange={text("input")}
                />
              )}
            </Field>
          </div>
          {number("priority", "Priority", `Higher runs first; −${WORK_LIMITS.priority} to ${WORK_LIMITS.priority}.`)}
          {number("maxAttempts", "Attempts", `Tries before it fails; 1 to ${WORK_LIMITS.attempts}.`)}
          {number("backoffSeconds", "Backoff (seconds)", "Wait before a retry.")}
          {number("maxDurationSeconds", "Maximum duration (seconds)", "Longer, and the run times out.")}
          {number("queuedTtlSeconds", "Time to live in the queue (seconds)", "Empty: a queued run never expires.")}
          <Field label="Missed runs" errors={fieldErrors("missedFires")} hint="Fires missed while Tower was down.">
            {(p) => (
              <select
                {...p}
                value={values.missedFires}
                onChange={(e) => set("missedFires")(e.target.value as TaskValues["missedFires"])}
              >
                {MISSED_FIRE_POLICIES.map((policy) => (
                  <option key={policy} value={policy}>
                    {MISSED_LABELS[policy]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Schedule (cron)" errors={fieldErrors("cron")} hint="Such as 0 9 * * 1-5; empty: no schedule.">
            {(p) => (
              <input
                {...p}
                className="json-input"
                autoComplete="off"
                spellCheck={false}
                value={values.cron}
                onChange={text("cron")}
              />
            )}
          </Field>
          <Field label="Time zone" errors={fieldErrors("timezone")} hint="An IANA name, such as Europe/Paris.">
            {(p) => <input {...p} autoComplete="off" value={values.timezone} onChange={text("timezone")} />}
          </Field>
          <SchedulePreview projectId={projectId} cron={values.cron} timezone={values.timezone} />
          <label className="check full-span">
            <input type="checkbox" checked={values.paused} onChange={(e) => set("paused")(e.target.checked)} /> Paused
            (the schedule does not fire)
          </label>
        </div>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? "Saving…" : task ? "Save changes" : "Create task"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
