"use client";
import type { PolicyRule } from "@tower/shared";
import { POLICY_LIMITS } from "@tower/shared/domain";
import { useState, type FormEvent } from "react";
import { Field } from "~/ui/field";
import { useModalDialog } from "~/ui/modal";
import { EffectSelect } from "./effect-select";
import { LIST_FIELDS, MATCH_LABELS } from "./format";
import { emptyFields, fieldsOf, ruleOf, type RuleFields } from "./rule-fields";

const LIST_HINTS: Record<(typeof LIST_FIELDS)[number], string> = {
  tools: "Names or globs, comma-separated: Bash, mcp__github__*",
  operations: "tool_use, api_call, file_access, agent_spawn …",
  paths: "Globs relative to the agent's workspace: src/**, deploy/prod/**",
  agents: "Agent names",
  roles: "Agent roles",
  tags: "Agent tags",
  teams: "Team names",
};

/**
 * Add or edit one rule of the draft: its id, what it matches (every field given must match; a list
 * matches any of its items), its effect and the reason the agent is told. The server's messages
 * from the last save are shown by their fields.
 */
export function RuleDialog({
  rule,
  takenIds,
  errors: serverErrors,
  onSubmit,
  onClose,
}: {
  rule: PolicyRule | null;
  takenIds: string[];
  errors: Record<string, string>;
  onSubmit(rule: PolicyRule): void;
  onClose(): void;
}) {
  const dialog = useModalDialog();
  const [fields, setFields] = useState<RuleFields>(() => (rule ? fieldsOf(rule) : emptyFields()));
  const [errors, setErrors] = useState<Record<string, string>>(serverErrors);
  const set = (name: keyof RuleFields) => (value: string) => setFields((f) => ({ ...f, [name]: value }));
  const errorOf = (name: string) => (errors[name] ? [errors[name]] : undefined);

  function submit(event: FormEvent) {
    event.preventDefault();
    const result = ruleOf(fields, takenIds);
    if (result.errors) setErrors(result.errors);
    else onSubmit(result.rule);
  }

  const title = rule ? `Edit rule ${rule.id}` : "Add a rule";
  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="rule-form-title" onCancel={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id="rule-form-title">{title}</h2>
        <div className="form-grid">
          <Field label="Rule id" errors={errorOf("id")} hint="Shown to agents and in the audit trail">
            {(props) => <input {...props} value={fields.id} onChange={(e) => set("id")(e.target.value)} autoFocus />}
          </Field>
          <Field label="Effect" errors={errorOf("effect")}>
            {(props) => <EffectSelect {...props} value={fields.effect} onChange={set("effect")} />}
          </Field>
        </div>
        <Field label="Reason" errors={errorOf("reason")} hint="The agent is told this with the decision">
          {(props) => (
            <input
              {...props}
              value={fields.reason}
              maxLength={POLICY_LIMITS.reasonLength}
              onChange={(e) => set("reason")(e.target.value)}
            />
          )}
        </Field>
        <Field label="Description" errors={errorOf("description")}>
          {(props) => (
            <input {...props} value={fields.description} onChange={(e) => set("description")(e.target.value)} />
          )}
        </Field>
        {fields.effect === "require_approval" ? (
          <Field
            label="Approval open for (seconds)"
            errors={errorOf("ttlSeconds")}
            hint="Empty: the policy's default. The request expires unless decided by then."
          >
            {(props) => (
              <input
                {...props}
                type="number"
                min={POLICY_LIMITS.approvalTtlMinSeconds}
                max={POLICY_LIMITS.approvalTtlMaxSeconds}
                value={fields.ttlSeconds}
                onChange={(e) => set("ttlSeconds")(e.target.value)}
              />
            )}
          </Field>
        ) : null}
        <fieldset className="match-fields">
          <legend>Matches when (empty fields match anything)</legend>
          <div className="form-grid">
            {LIST_FIELDS.map((name) => (
              <Field key={name} label={MATCH_LABELS[name]} errors={errorOf(`match.${name}`)} hint={LIST_HINTS[name]}>
                {(props) => <input {...props} value={fields[name]} onChange={(e) => set(name)(e.target.value)} />}
              </Field>
            ))}
            <Field
              label={MATCH_LABELS.costAbove}
              errors={errorOf("match.costAbove")}
              hint="Requests estimated above this"
            >
              {(props) => (
                <input
                  {...props}
                  type="number"
                  min={0}
                  step="any"
                  value={fields.costAbove}
                  onChange={(e) => set("costAbove")(e.target.value)}
                />
              )}
            </Field>
          </div>
          {errors.match ? (
            <p className="field-error" role="alert">
              {errors.match}
            </p>
          ) : null}
        </fieldset>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            {rule ? "Update rule" : "Add rule"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
