"use client";
import type { RoleMix, Team } from "@tower/shared";
import { useId, useState, type FormEvent } from "react";
import { toFormErrors } from "~/lib/form-errors";
import { Field, FormError } from "~/ui/field";
import { useModalDialog } from "~/ui/modal";

export interface TeamFields {
  name: string;
  description: string;
  roleMix: RoleMix;
}

interface MixRow {
  key: number;
  role: string;
  count: string;
}

let nextKey = 1;
const row = (role = "", count = "1"): MixRow => ({ key: nextKey++, role, count });

/** Rows to a role mix; the same role twice adds up, blank roles are dropped. */
export function toRoleMix(rows: { role: string; count: string }[]): RoleMix {
  const mix: RoleMix = {};
  for (const r of rows) {
    const role = r.role.trim();
    if (!role) continue;
    const count = Number(r.count);
    mix[role] = (mix[role] ?? 0) + (Number.isFinite(count) ? count : 0);
  }
  return mix;
}

/** The role mix as a person would be told: a role, and a whole number of agents from 1 to 1,000 for each. */
function checkRows(rows: { role: string; count: string }[]): string | null {
  const filled = rows.filter((r) => r.role.trim());
  if (filled.length === 0) return "Add at least one role";
  for (const r of filled) {
    const count = r.count.trim();
    if (!/^\d+$/.test(count) || Number(count) < 1 || Number(count) > 1_000)
      return `Enter a whole number of agents from 1 to 1,000 for ${r.role.trim()}`;
  }
  return null;
}

export function TeamFormDialog({
  team,
  knownRoles,
  pending,
  error,
  onSubmit,
  onClose,
}: {
  team: Team | null;
  knownRoles: string[];
  pending: boolean;
  error: unknown;
  onSubmit(fields: TeamFields): void;
  onClose(): void;
}) {
  const dialog = useModalDialog();
  const listId = useId();
  const [name, setName] = useState(team?.name ?? "");
  const [description, setDescription] = useState(team?.description ?? "");
  const [rows, setRows] = useState<MixRow[]>(() =>
    team ? Object.entries(team.roleMix).map(([role, count]) => row(role, String(count))) : [row()],
  );
  const [mixProblem, setMixProblem] = useState<string | null>(null);
  const errors = toFormErrors(error, ["name", "description", "roleMix"]);
  const mixError = mixProblem ?? errors.fields.roleMix?.[0] ?? null;

  function submit(event: FormEvent) {
    event.preventDefault();
    const problem = checkRows(rows);
    setMixProblem(problem);
    if (!problem) onSubmit({ name, description, roleMix: toRoleMix(rows) });
  }

  const setRow = (key: number, patch: Partial<MixRow>) =>
    setRows((current) => current.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="team-form-title" onCancel={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id="team-form-title">{team ? `Edit ${team.name}` : "New team"}</h2>
        <FormError message={errors.form} />
        <Field label="Team name" errors={errors.fields.name}>
          {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} autoFocus />}
        </Field>
        <Field label="Team description" errors={errors.fields.description}>
          {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <fieldset className="role-mix">
          <legend>Role mix</legend>
          <datalist id={listId}>
            {knownRoles.map((r) => (
              <option key={r} value={r} />
            ))}
          </datalist>
          {rows.map((r, index) => (
            <div className="role-mix-row" key={r.key}>
              <input
                aria-label={`Role ${index + 1}`}
                list={listId}
                value={r.role}
                placeholder="researcher"
                onChange={(e) => setRow(r.key, { role: e.target.value })}
              />
              <input
                aria-label={`Count ${index + 1}`}
                type="number"
                min={1}
                max={1000}
                step={1}
                inputMode="numeric"
                value={r.count}
                onChange={(e) => setRow(r.key, { count: e.target.value })}
              />
              <button
                type="button"
                aria-label={`Remove row ${index + 1}`}
                disabled={rows.length === 1}
                onClick={() => setRows((current) => current.filter((x) => x.key !== r.key))}
              >
                ×
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setRows((current) => [...current, row()])}>
            Add role
          </button>
          {mixError ? (
            <p className="field-error" role="alert">
              {mixError}
            </p>
          ) : null}
        </fieldset>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={pending}>
            {pending ? "Saving…" : team ? "Save team" : "Create team"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
