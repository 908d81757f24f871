"use client";
import type { Agent } from "@tower/shared";
import { splitListText } from "@tower/shared/domain";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { toFormErrors } from "~/lib/form-errors";
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

/** A number as typed: spaces, commas and underscores between digits are allowed ("10 000", "1,000"). */
function numberText(text: string): string {
  return text.trim().replace(/(?<=\d)[\s,_](?=\d)/g, "");
}

function toNumber(text: string): number | null {
  const trimmed = numberText(text);
  return trimmed === "" ? null : Number(trimmed);
}

const TOKENS_BUDGET_MESSAGE = "Enter a whole number above 0, or leave empty for no limit";
const USD_BUDGET_MESSAGE = "Enter an amount in USD above 0, or leave empty for no limit";
const MAX_TOKENS = 1e12;
const MAX_USD = 1e9;

/**
 * The rules the server checks that a person most often trips over, checked before sending, with
 * the same wording as the field's hint: required name and role, budgets that are empty (no limit)
 * or above 0.
 */
function checkValues(values: Values): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  if (!values.name.trim()) errors.name = ["Name is required"];
  if (!values.role.trim()) errors.role = ["Role is required"];
  const tokens = numberText(values.budgetTokensPerSession);
  if (tokens !== "") {
    const n = Number(tokens);
    if (!/^\d+$/.test(tokens) || !(n > 0)) errors.budgetTokensPerSession = [TOKENS_BUDGET_MESSAGE];
    else if (n > MAX_TOKENS)
      errors.budgetTokensPerSession = [`Enter at most ${MAX_TOKENS.toLocaleString("en-US")} tokens, or leave empty`];
  }
  const usd = numberText(values.budgetCostUsdPerDay).replace(/^\$/, "");
  if (usd !== "") {
    const n = Number(usd);
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(usd) || !(n > 0)) errors.budgetCostUsdPerDay = [USD_BUDGET_MESSAGE];
    else if (n > MAX_USD)
      errors.budgetCostUsdPerDay = [`Enter at most $${MAX_USD.toLocaleString("en-US")}, or leave empty`];
  }
  return errors;
}

function toFields(values: Values): AgentFields {
  return {
    name: values.name,
    role: values.role,
    category: values.category,
    description: values.description,
    capabilities: splitListText(values.capabilities),
    allowedTools: splitListText(values.allowedTools),
    pathScopes: splitListText(values.pathScopes),
    budgetTokensPerSession: toNumber(values.budgetTokensPerSession),
    budgetCostUsdPerDay: toNumber(values.budgetCostUsdPerDay.trim().replace(/^\$/, "")),
    tags: splitListText(values.tags),
    version: values.version.trim(),
    owner: values.owner.trim(),
  };
}

const FIELDS = Object.keys(EMPTY);

interface AgentFormDialogProps {
  agent: Agent | null;
  pending: boolean;
  error: unknown;
  /** Why the form cannot be saved any more (the agent was deleted meanwhile): shown, and Save is disabled. */
  closedReason?: string | null;
  onSubmit(fields: AgentFields): void;
  onClose(): void;
}

/**
 * Create (agent = null) or edit an agent in a modal dialog. Budgets and required fields are checked
 * before sending; the server's errors appear at their fields, one message per field.
 */
export function AgentFormDialog({ agent, pending, error, closedReason, onSubmit, onClose }: AgentFormDialogProps) {
  const dialog = useModalDialog();
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<Values>(() => (agent ? fromAgent(agent) : EMPTY));
  const [clientErrors, setClientErrors] = useState<Record<string, string[]>>({});
  const [attempts, setAttempts] = useState(0);
  const errors = toFormErrors(error, FIELDS);
  const title = agent ? `Edit ${agent.name}` : "New agent";

  const set = (key: keyof Values) => (event: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [key]: event.target.value }));
    // A message checked here goes once the field is edited; it is checked again on submit.
    setClientErrors(({ [key]: _edited, ...rest }) => rest);
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    if (closedReason) return;
    const found = checkValues(values);
    setClientErrors(found);
    setAttempts((n) => n + 1);
    if (Object.keys(found).length === 0) onSubmit(toFields(values));
  }

  // After a refused submit (here or by the server), the first field with a message gets the focus.
  useEffect(() => {
    if (attempts > 0 || error) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [attempts, error]);

  const fieldErrors = (key: string) => clientErrors[key] ?? errors.fields[key];

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="agent-form-title" onCancel={onClose}>
      <form ref={form} onSubmit={submit} noValidate>
        <h2 id="agent-form-title">{title}</h2>
        <FormError message={closedReason ?? errors.form} />
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
            hint="A whole number above 0; empty for no limit."
          >
            {(p) => (
              <input
                {...p}
                inputMode="numeric"
                autoComplete="off"
                placeholder="No limit"
                value={values.budgetTokensPerSession}
                onChange={set("budgetTokensPerSession")}
              />
            )}
          </Field>
          <Field
            label="Budget USD per day"
            errors={fieldErrors("budgetCostUsdPerDay")}
            hint="An amount above 0, such as 2.50; empty for no limit."
          >
            {(p) => (
              <input
                {...p}
                inputMode="decimal"
                autoComplete="off"
                placeholder="No limit"
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
          <button type="submit" className="primary" disabled={pending || Boolean(closedReason)}>
            {pending ? "Saving…" : agent ? "Save changes" : "Create agent"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
