"use client";
import { BUILT_IN_CHECK_TEXT } from "@tower/shared/domain";
import { useState, type FormEvent } from "react";
import { toFormErrors } from "~/lib/form-errors";
import { DecisionBadge } from "~/ui/decision-badge";
import { Field, FormError } from "~/ui/field";
import { useTryPolicy, type TryInput } from "./hooks";

const FIELDS = ["agent", "tool", "operation", "path", "estimatedCostUsd", "input"] as const;
type Fields = Record<(typeof FIELDS)[number], string>;

/** The form's text as `policy.try`'s input, or a message for the field that is not right. */
function inputOf(projectId: string, fields: Fields): { input: TryInput } | { field: string; message: string } {
  let input: Record<string, unknown> = {};
  if (fields.input.trim()) {
    try {
      input = JSON.parse(fields.input) as Record<string, unknown>;
    } catch (error) {
      return { field: "input", message: `Not valid JSON: ${(error as Error).message}` };
    }
    if (typeof input !== "object" || input === null || Array.isArray(input))
      return { field: "input", message: 'An object, e.g. {"command": "rm -rf build"}' };
  }
  const cost = fields.estimatedCostUsd.trim();
  if (cost && !(Number(cost) >= 0)) return { field: "estimatedCostUsd", message: "A cost of 0 or more (USD)" };
  return {
    input: {
      projectId,
      agent: fields.agent.trim(),
      tool: fields.tool.trim(),
      operation: fields.operation.trim() || "tool_use",
      ...(fields.path.trim() ? { path: fields.path.trim() } : {}),
      ...(cost ? { estimatedCostUsd: Number(cost) } : {}),
      input: input as TryInput["input"],
    },
  };
}

/** "Try a request": the form, and what would decide it and why (nothing is recorded, no approval is asked). */
function useTryForm(projectId: string) {
  const [fields, setFields] = useState<Fields>({
    agent: "",
    tool: "",
    operation: "tool_use",
    path: "",
    estimatedCostUsd: "",
    input: "",
  });
  const [asked, setAsked] = useState<TryInput | null>(null);
  const [local, setLocal] = useState<{ field: string; message: string } | null>(null);
  const result = useTryPolicy(asked);
  const server = toFormErrors(result.error, FIELDS);
  const errors: Record<string, string[]> = local ? { [local.field]: [local.message] } : server.fields;

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = inputOf(projectId, fields);
    if ("field" in parsed) {
      setLocal(parsed);
      return;
    }
    setLocal(null);
    setAsked(parsed.input);
    if (JSON.stringify(parsed.input) === JSON.stringify(asked)) void result.refetch();
  }

  const set = (name: keyof Fields) => (value: string) => setFields((f) => ({ ...f, [name]: value }));
  // A result is for the request last sent: while the form has a mistake it is not shown as if it were this one's.
  return {
    fields,
    set,
    submit,
    result,
    data: local ? undefined : result.data,
    errors,
    formError: local ? null : server.form,
  };
}

export function TryRequest({ projectId, note }: { projectId: string; note: string | null }) {
  const form = useTryForm(projectId);
  const data = form.data;
  return (
    <section className="card" aria-labelledby="try-title">
      <h2 id="try-title">Try a request</h2>
      <p className="muted">
        What the policy in force would answer an agent, and why. Nothing is recorded and no approval is asked.
        {note ? ` ${note}` : ""}
      </p>
      <form onSubmit={form.submit} noValidate className="try-form">
        <div className="form-grid">
          <Field label="Agent" errors={form.errors.agent} hint="The agent's name">
            {(props) => (
              <input {...props} value={form.fields.agent} onChange={(e) => form.set("agent")(e.target.value)} />
            )}
          </Field>
          <Field label="Tool" errors={form.errors.tool}>
            {(props) => (
              <input {...props} value={form.fields.tool} onChange={(e) => form.set("tool")(e.target.value)} />
            )}
          </Field>
          <Field label="Operation" errors={form.errors.operation}>
            {(props) => (
              <input {...props} value={form.fields.operation} onChange={(e) => form.set("operation")(e.target.value)} />
            )}
          </Field>
          <Field label="Path" errors={form.errors.path} hint="Relative to the agent's workspace (optional)">
            {(props) => (
              <input {...props} value={form.fields.path} onChange={(e) => form.set("path")(e.target.value)} />
            )}
          </Field>
          <Field label="Estimated cost (USD)" errors={form.errors.estimatedCostUsd}>
            {(props) => (
              <input
                {...props}
                type="number"
                min={0}
                step="any"
                value={form.fields.estimatedCostUsd}
                onChange={(e) => form.set("estimatedCostUsd")(e.target.value)}
              />
            )}
          </Field>
        </div>
        <Field
          label="Input (JSON)"
          errors={form.errors.input}
          hint='The action&apos;s arguments, e.g. {"command": "ls"} (optional)'
        >
          {(props) => (
            <textarea
              {...props}
              rows={3}
              spellCheck={false}
              value={form.fields.input}
              onChange={(e) => form.set("input")(e.target.value)}
            />
          )}
        </Field>
        <FormError message={form.formError} />
        <div className="dialog-actions">
          <button type="submit" className="primary" disabled={form.result.isFetching}>
            {form.result.isFetching ? "Checking…" : "Try"}
          </button>
        </div>
      </form>
      {data ? (
        <div className="try-result" role="status" aria-label="Try result">
          <p>
            <DecisionBadge decision={data.decision} />{" "}
            {data.source === "rule" && data.ruleId !== null ? (
              <>
                Decided by rule{" "}
                <a href={`#rule-${data.ruleId}`}>
                  <strong>#{(data.ruleIndex ?? 0) + 1}</strong> <code>{data.ruleId}</code>
                </a>
              </>
            ) : data.source === "check" && data.check ? (
              <>
                Decided by the built-in check <code>{data.check}</code>: {BUILT_IN_CHECK_TEXT[data.check]}
              </>
            ) : (
              <>Decided by the project default (no rule matched)</>
            )}
          </p>
          <p>
            <span className="muted">Reason told to the agent:</span> {data.reason}
          </p>
          <p className="muted">
            Policy version {data.policyVersion}
            {data.path ? ` · path as checked: ${data.path}` : ""}
          </p>
        </div>
      ) : null}
    </section>
  );
}
