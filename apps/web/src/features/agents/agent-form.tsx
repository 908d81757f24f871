"use client";
import type { Agent } from "@tower/shared";
import { useState, type FormEvent } from "react";
import { toFormErrors } from "~/lib/errors";
import { Field, FormError } from "~/ui/field";
import { useModalDialog } from "~/ui/modal";

interface Values {
  name: string;
  role: string;
  category: string;
  description: string;
  capabilities: string;
  allowedTools: string;
  pathScopes: string;
  budgetTokensPerSession: string;
  budgetCostUsdPerDay: string;
  tags: string;
  version: string;
  owner: string;
}

/** What the form edits: the agent's own profile fields. */
export type AgentFields = Pick<
  Agent,
  | "name"
  | "role"
  | "category"
  | "description"
  | "capabilities"
  | "allowedTools"
  | "pathScopes"
  | "budgetTokensPerSession"
  | "budgetCostUsdPerDay"
  | "tags"
  | "version"
  | "owner"
>;

const EMPTY: Values = {
  name: "",
  role: "",
  category: "general",
  description: "",
  capabilities: "",
  allowedTools: "",
  pathScopes: "",
  budgetTokensPerSession: "",
  budgetCostUsdPerDay: "",
  tags: "",
  version: "",
  owner: "",
};

function fromAgent(agent: Agent): Values {
  return {
    name: agent.name,
    role: agent.role,
    category: agent.category,
    description: agent.description,
    capabilities: agent.capabilities.join(", "),
    allowedTools: agent.allowedTools.join(", "),
    pathScopes: agent.pathScopes.join("\n"),
    budgetTokensPerSession: agent.budgetTokensPerSession?.toString() ?? "",
    budgetCostUsdPerDay: agent.budgetCostUsdPerDay?.toString() ?? "",
    tags: agent.tags.join(", "),
    version: agent.version,
    owner: agent.owner,
  };
}

/** Comma- or newline-separated text to a list without blanks. */
export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter(Boolean);
}

function toNumber(text: string): number | null {
  const trimmed = text.trim();
  return trimmed === "" ? null : Number(trimmed);
}

function toFields(values: Values): AgentFields {
  return {
    name: values.name,
    role: values.role,
    category: values.category,
    description: values.description,
    capabilities: splitList(values.capabilities),
    allowedTools: splitList(values.allowedTools),
    pathScopes: splitList(values.pathScopes),
    budgetTokensPerSession: toNumber(values.budgetTokensPerSession),
    budgetCostUsdPerDay: toNumber(values.budgetCostUsdPerDay),
    tags: splitList(values.tags),
    version: values.version.trim(),
    owner: values.owner.trim(),
  };
}

interface AgentFormDialogProps {
  agent: Agent | null;
  pending: boolean;
  error: unknown;
  onSubmit(fields: AgentFields): void;
  onClose(): void;
}

/** Create (agent = null) or edit an agent in a modal dialog; server errors appear at their fields. */
export function AgentFormDialog({ agent, pending, error, onSubmit, onClose }: AgentFormDialogProps) {
  const dialog = useModalDialog();
  const [values, setValues] = useState<Values>(() => (agent ? fromAgent(agent) : EMPTY));
  const errors = toFormErrors(error);
  const title = agent ? `Edit ${agent.name}` : "New agent";

  const set = (key: keyof Values) => (event: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [key]: event.target.value }));

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit(toFields(values));
  }

  const fieldErrors = (key: string) => errors.fields[key];

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="agent-form-title" onCancel={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id="agent-form-title">{title}</h2>
        <FormError message={errors.form} />
        <div className="form-grid">
          <Field label="Name" errors={fieldErrors("name")}>
            {(p) => <input {...p} required value={values.name} onChange={set("name")} autoFocus />}
          </Field>
          <Field label="Role" errors={fieldErrors("role")}>
            {(p) => <input {...p} required value={values.role} onChange={set("role")} placeholder="researcher" />}
          </Field>
          <Field label="Category" errors={fieldErrors("category")}>
            {(p) => <input {...p} value={values.category} onChange={set("category")} />}
          </Field>
          <Field label="Tags" errors={fieldErrors("tags")} hint="Comma or newline separated.">
            {(p) => <input {...p} value={values.tags} onChange={set("tags")} />}
          </Field>
          <Field label="Version" errors={fieldErrors("version")}>
            {(p) => <input {...p} value={values.version} onChange={set("version")} placeholder="1.0.0" />}
          </Field>
          <Field label="Owner" errors={fieldErrors("owner")}>
            {(p) => <input {...p} value={values.owner} onChange={set("owner")} placeholder="team or person" />}
          </Field>
          <Field label="Description" errors={fieldErrors("description")}>
            {(p) => <textarea {...p} rows={3} value={values.description} onChange={set("description")} />}
          </Field>
          <Field label="Capabilities" errors={fieldErrors("capabilities")} hint="Comma or newline separated.">
            {(p) => <textarea {...p} rows={2} value={values.capabilities} onChange={set("capabilities")} />}
          </Field>
          <Field label="Allowed tools" errors={fieldErrors("allowedTools")} hint="Comma or newline separated.">
            {(p) => <textarea {...p} rows={2} value={values.allowedTools} onChange={set("allowedTools")} />}
          </Field>
          <Field
            label="Path scopes"
            errors={fieldErrors("pathScopes")}
            hint="Globs such as src/**, one per line or comma separated."
          >
            {(p) => <textarea {...p} rows={2} value={values.pathScopes} onChange={set("pathScopes")} />}
          </Field>
          <Field
            label="Budget tokens per session"
            errors={fieldErrors("budgetTokensPerSession")}
            hint="Empty for no limit."
          >
            {(p) => (
              <input
                {...p}
                type="number"
                min={1}
                step={1}
                inputMode="numeric"
                value={values.budgetTokensPerSession}
                onChange={set("budgetTokensPerSession")}
              />
            )}
          </Field>
          <Field label="Budget USD per day" errors={fieldErrors("budgetCostUsdPerDay")} hint="Empty for no limit.">
            {(p) => (
              <input
                {...p}
                type="number"
                min={0}
                step="0.01"
                inputMode="decimal"
                value={values.budgetCostUsdPerDay}
                onChange={set("budgetCostUsdPerDay")}
              />
            )}
          </Field>
        </div>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? "Saving…" : agent ? "Save changes" : "Create agent"}
          </button>
        </div>
      </form>
    </dialog>
  );
}

export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  pending,
  error,
  onConfirm,
  onClose,
}: {
  title: string;
  body: string;
  confirmLabel: string;
  pending: boolean;
  error: string | null;
  onConfirm(): void;
  onClose(): void;
}) {
  const dialog = useModalDialog();
  return (
    <dialog ref={dialog} className="dialog dialog-small" aria-labelledby="confirm-title" onCancel={onClose}>
      <h2 id="confirm-title">{title}</h2>
      <p>{body}</p>
      <FormError message={error} />
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={pending} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
