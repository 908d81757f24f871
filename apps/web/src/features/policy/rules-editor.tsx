"use client";
import type { PolicyRule } from "@tower/shared";
import { DECISION_OF_EFFECT } from "@tower/shared/domain";
import { useState } from "react";
import { ConfirmDialog } from "~/ui/dialogs";
import { DecisionBadge } from "~/ui/decision-badge";
import { lazyComponent } from "~/ui/lazy";
import { Empty } from "~/ui/states";
import { describeMatch, duration, MATCH_LABELS } from "./format";
import type { DraftRule, PolicyDraft } from "./use-policy-draft";

// Opens on a click; its code loads then, not with the page.
/** The rule's fields as the rule form labels them, for the server's messages shown by the rule. */
const FIELD_LABELS: Record<string, string> = {
  id: "Rule id",
  description: "Description",
  effect: "Effect",
  reason: "Reason",
  ttlSeconds: "Approval open for",
  match: "Matches",
  ...Object.fromEntries(Object.entries(MATCH_LABELS).map(([field, label]) => [`match.${field}`, label])),
};

const RuleDialog = lazyComponent(() => import("./rule-dialog").then((m) => m.RuleDialog));

function RuleItem({
  item,
  index,
  count,
  canEdit,
  errors,
  draft,
  onEdit,
  onDelete,
}: {
  item: DraftRule;
  index: number;
  count: number;
  canEdit: boolean;
  errors: Record<string, string> | undefined;
  draft: PolicyDraft;
  onEdit(): void;
  onDelete(): void;
}) {
  const { rule } = item;
  const messages = errors ? Object.entries(errors) : [];
  return (
    <li id={`rule-${rule.id}`} className={`rule${messages.length > 0 ? " rule-invalid" : ""}`} data-rule={rule.id}>
      <div className="rule-head">
        <span className="rule-position" aria-label={`Rule ${index + 1}`}>
          #{index + 1}
        </span>
        <code className="rule-id">{rule.id}</code>
        <DecisionBadge decision={DECISION_OF_EFFECT[rule.effect]} />
        {canEdit ? (
          <span className="rule-actions">
            <button
              type="button"
              className="icon-button"
              aria-label={`Move ${rule.id} up`}
              disabled={index === 0}
              onClick={() => draft.moveRule(item.key, -1)}
            >
              ↑
            </button>
            <button
              type="button"
              className="icon-button"
              aria-label={`Move ${rule.id} down`}
              disabled={index === count - 1}
              onClick={() => draft.moveRule(item.key, 1)}
            >
              ↓
            </button>
            <button type="button" onClick={onEdit} aria-label={`Edit ${rule.id}`}>
              Edit
            </button>
            <button type="button" className="danger" onClick={onDelete} aria-label={`Delete ${rule.id}`}>
              Delete
            </button>
          </span>
        ) : null}
      </div>
      {rule.description ? <p className="rule-desc">{rule.description}</p> : null}
      <p className="rule-when">
        <span className="muted">When</span> {describeMatch(rule.match)}
      </p>
      <p className="rule-reason">
        <span className="muted">Reason</span> {rule.reason}
        {rule.effect === "require_approval" && rule.ttlSeconds !== undefined ? (
          <span className="muted"> · open for {duration(rule.ttlSeconds)}</span>
        ) : null}
      </p>
      {messages.map(([field, message]) => (
        <p key={field} className="field-error" role="alert">
          {field ? `${FIELD_LABELS[field] ?? field}: ` : ""}
          {message}
        </p>
      ))}
    </li>
  );
}

/** The rules in order (the first that matches decides): add, edit, move up / down, delete. */
export function RulesEditor({ draft, canEdit }: { draft: PolicyDraft; canEdit: boolean }) {
  const [editing, setEditing] = useState<DraftRule | "new" | null>(null);
  const [deleting, setDeleting] = useState<DraftRule | null>(null);
  const rules = draft.view?.rules ?? [];
  const editingKey = editing && editing !== "new" ? editing.key : null;

  function submit(rule: PolicyRule) {
    if (editing === "new") draft.addRule(rule);
    else if (editing) draft.updateRule(editing.key, rule);
    setEditing(null);
  }

  return (
    <section className="card" aria-labelledby="rules-title">
      <div className="card-head">
        <h2 id="rules-title">Rules</h2>
        {canEdit ? (
          <button type="button" onClick={() => setEditing("new")}>
            Add rule
          </button>
        ) : null}
      </div>
      <p className="muted">
        Checked in order after the built-in checks; the first rule that matches a request decides it.
      </p>
      {rules.length === 0 ? (
        <Empty line>No rules: every request that passes the built-in checks gets the default below.</Empty>
      ) : (
        <ol className="plain rule-list" aria-label="Rules">
          {rules.map((item, index) => (
            <RuleItem
              key={item.key}
              item={item}
              index={index}
              count={rules.length}
              canEdit={canEdit}
              errors={draft.errors?.byRule[item.key]}
              draft={draft}
              onEdit={() => setEditing(item)}
              onDelete={() => setDeleting(item)}
            />
          ))}
        </ol>
      )}
      {editing ? (
        <RuleDialog
          rule={editing === "new" ? null : editing.rule}
          takenIds={rules.filter((r) => r.key !== editingKey).map((r) => r.rule.id)}
          errors={editingKey ? (draft.errors?.byRule[editingKey] ?? {}) : {}}
          onSubmit={submit}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete rule ${deleting.rule.id}?`}
          body="The rule leaves your draft; nothing changes for agents until you save the policy."
          confirmLabel="Delete rule"
          pending={false}
          error={null}
          onConfirm={() => {
            draft.removeRule(deleting.key);
            setDeleting(null);
          }}
          onClose={() => setDeleting(null)}
        />
      ) : null}
    </section>
  );
}
