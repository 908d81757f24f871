"use client";
import { hasRole } from "@tower/shared/domain";
import { useProject } from "~/features/shell";
import { ErrorText, Loading } from "~/ui/states";
import { FormError } from "~/ui/field";
import { BuiltInChecks } from "./built-in-checks";
import { DefaultsForm } from "./defaults-form";
import { usePolicy } from "./hooks";
import { RulesEditor } from "./rules-editor";
import { TryRequest } from "./try-request";
import { usePolicyDraft, type PolicyDraft } from "./use-policy-draft";
import { VersionHistory } from "./version-history";
import { YamlPanel } from "./yaml-panel";

/** The bar above the editor while there are unsaved changes: what they are, save, discard. */
function SaveBar({ draft }: { draft: PolicyDraft }) {
  if (!draft.editing && !draft.saved && !draft.errors) return null;
  return (
    <div className="save-bar" role="region" aria-label="Unsaved changes">
      {draft.stale ? (
        <p className="notice notice-danger" role="alert">
          Someone saved a newer version while you were editing: saving now would be refused. Discard your changes to
          load it, then make them again.
        </p>
      ) : null}
      {draft.dirty ? (
        <p>
          <strong>Unsaved changes:</strong> {draft.summary}
        </p>
      ) : draft.saved ? (
        <p role="status">
          {draft.saved.changed
            ? `Saved as version ${draft.saved.version}.`
            : "Nothing changed: no new version was made."}
        </p>
      ) : draft.editing ? (
        <p className="muted">No changes yet.</p>
      ) : null}
      <FormError message={draft.errors?.form} />
      {draft.editing ? (
        <div className="page-actions">
          <button type="button" onClick={draft.discard} disabled={draft.saving}>
            Discard changes
          </button>
          <button type="button" className="primary" onClick={draft.save} disabled={!draft.dirty || draft.saving}>
            {draft.saving ? "Saving…" : "Save policy"}
          </button>
        </div>
      ) : null}
    </div>
  );
}

/**
 * The project's policy: rules in order, the default, the built-in checks, version history with
 * diffs, YAML export / import and "try a request". Admins edit a draft and save it as a new
 * version; everyone else reads.
 */
export function PolicyPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const canEdit = hasRole(current.role, "admin");
  const policy = usePolicy(projectId);
  const draft = usePolicyDraft(projectId, policy.data);

  if (policy.isPending) return <Loading page label="Loading policy…" />;
  if (!policy.data) return <ErrorText error={policy.error} context="Could not load the policy" />;

  return (
    <section className="page policy">
      <div className="page-head">
        <div className="title-row">
          <h1>Policy</h1>
          <span className="badge" data-policy-version={policy.data.version}>
            version {policy.data.version}
          </span>
        </div>
      </div>
      {canEdit ? null : (
        <p className="notice" role="note">
          You can read this policy and try requests against it; only project admins change it (you are {current.role}).
        </p>
      )}
      <SaveBar draft={draft} />
      <RulesEditor draft={draft} canEdit={canEdit} />
      <DefaultsForm draft={draft} canEdit={canEdit} />
      <TryRequest
        projectId={projectId}
        note={draft.dirty ? "Your unsaved changes are not tried until you save them." : null}
      />
      <BuiltInChecks />
      <VersionHistory projectId={projectId} />
      <YamlPanel projectId={projectId} version={policy.data.version} canEdit={canEdit} />
    </section>
  );
}
