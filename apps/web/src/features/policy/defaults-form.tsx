"use client";
import type { PolicyDocument } from "@tower/shared";
import { APPROVER_ROLES, POLICY_LIMITS } from "@tower/shared/domain";
import { Field } from "~/ui/field";
import { EffectSelect } from "./effect-select";
import type { PolicyDraft } from "./use-policy-draft";

/** When no rule matches: the default effect, its reason and approval lifetime; and who may decide approvals. */
export function DefaultsForm({ draft, canEdit }: { draft: PolicyDraft; canEdit: boolean }) {
  const defaults = draft.view?.defaults;
  if (!defaults) return null;
  const errors = draft.errors?.paths ?? {};
  const errorOf = (name: keyof PolicyDocument) => (errors[name] ? [errors[name]] : undefined);
  return (
    <section className="card" aria-labelledby="defaults-title">
      <h2 id="defaults-title">When no rule matches</h2>
      <fieldset disabled={!canEdit} className="plain-fieldset">
        <div className="form-grid">
          <Field label="Default effect" errors={errorOf("defaultEffect")}>
            {(props) => (
              <EffectSelect
                {...props}
                value={defaults.defaultEffect}
                onChange={(effect) => draft.setDefaults({ defaultEffect: effect })}
              />
            )}
          </Field>
          <Field
            label="Approvers"
            errors={errorOf("approverRole")}
            hint="The least role that may approve or deny (people only; API keys never decide)"
          >
            {(props) => (
              <select
                {...props}
                value={defaults.approverRole}
                onChange={(e) => draft.setDefaults({ approverRole: e.target.value as PolicyDocument["approverRole"] })}
              >
                {APPROVER_ROLES.map((role) => (
                  <option key={role} value={role}>
                    {role} or higher
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <Field
          label="Default reason"
          errors={errorOf("defaultReason")}
          hint="Told to the agent when the default decides"
        >
          {(props) => (
            <input
              {...props}
              value={defaults.defaultReason}
              maxLength={POLICY_LIMITS.reasonLength}
              onChange={(e) => draft.setDefaults({ defaultReason: e.target.value })}
            />
          )}
        </Field>
        <Field
          label="Approvals stay open for (seconds)"
          errors={errorOf("defaultTtlSeconds")}
          hint={`For the default and for rules without their own; ${POLICY_LIMITS.approvalTtlMinSeconds} s to 7 days`}
        >
          {(props) => (
            <input
              {...props}
              type="number"
              min={POLICY_LIMITS.approvalTtlMinSeconds}
              max={POLICY_LIMITS.approvalTtlMaxSeconds}
              value={Number.isNaN(defaults.defaultTtlSeconds) ? "" : defaults.defaultTtlSeconds}
              onChange={(e) =>
                draft.setDefaults({ defaultTtlSeconds: e.target.value === "" ? Number.NaN : Number(e.target.value) })
              }
            />
          )}
        </Field>
      </fieldset>
    </section>
  );
}
