"use client";
import { POLICY_LIMITS } from "@tower/shared/domain";
import { useId, useState, type ChangeEvent } from "react";
import { errorMessage } from "~/lib/errors";
import { trpc } from "~/lib/trpc";
import { ErrorText } from "~/ui/states";
import { useImportYaml } from "./hooks";

/** Export: the policy in force as YAML, downloaded or copied (asked for when wanted, not with the page). */
function YamlExport({ projectId, version }: { projectId: string; version: number }) {
  const utils = trpc.useUtils();
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function yaml() {
    setError(null);
    return (await utils.policy.exportYaml.fetch({ projectId })).yaml;
  }

  async function download() {
    try {
      const text = await yaml();
      const url = URL.createObjectURL(new Blob([text], { type: "application/yaml" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = `tower-policy-v${version}.yaml`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 1_000);
      setStatus("Downloaded.");
    } catch (e) {
      setError(e);
    }
  }

  async function copy() {
    try {
      await navigator.clipboard.writeText(await yaml());
      setStatus("Copied to the clipboard.");
    } catch (e) {
      setError(e);
    }
  }

  return (
    <div className="yaml-export">
      <button type="button" onClick={() => void download()}>
        Download YAML
      </button>
      <button type="button" onClick={() => void copy()}>
        Copy YAML
      </button>
      <span className="muted" role="status">
        {status}
      </span>
      {error ? <ErrorText error={error} context="Could not export" /> : null}
    </div>
  );
}

/** Import: YAML pasted or read from a file, saved as a new version (refused with every problem named). */
function YamlImport({ projectId, version }: { projectId: string; version: number }) {
  const importYaml = useImportYaml(projectId);
  const [text, setText] = useState("");
  const [fileError, setFileError] = useState<string | null>(null);
  const id = useId();

  async function readFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    setFileError(null);
    importYaml.reset();
    if (!file) return;
    if (file.size > POLICY_LIMITS.yamlBytes) {
      setFileError(`${file.name} is larger than ${POLICY_LIMITS.yamlBytes / 1024} KB`);
      return;
    }
    setText(await file.text());
  }

  const result = importYaml.data;
  return (
    <form
      className="yaml-import"
      onSubmit={(e) => {
        e.preventDefault();
        importYaml.mutate({ projectId, yaml: text, expectedVersion: version });
      }}
    >
      <label htmlFor={`${id}-yaml`}>Policy YAML</label>
      <textarea
        id={`${id}-yaml`}
        rows={8}
        spellCheck={false}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          importYaml.reset();
        }}
        placeholder={
          "defaultEffect: allow\nrules:\n  - id: no-prod-writes\n    effect: require_approval\n    reason: Production needs a person\n    match:\n      paths: [deploy/prod/**]"
        }
        aria-invalid={importYaml.isError}
        aria-describedby={importYaml.isError ? `${id}-error` : undefined}
      />
      <div className="yaml-actions">
        <label className="file-label">
          Read a file
          <input type="file" accept=".yaml,.yml,text/yaml,application/yaml" onChange={(e) => void readFile(e)} />
        </label>
        <button type="submit" className="primary" disabled={!text.trim() || importYaml.isPending}>
          {importYaml.isPending ? "Importing…" : "Import as a new version"}
        </button>
      </div>
      {fileError ? <ErrorText error={fileError} /> : null}
      {importYaml.isError ? (
        <p className="error" role="alert" id={`${id}-error`}>
          {errorMessage(importYaml.error)}
        </p>
      ) : null}
      {result ? (
        <p className="notice" role="status">
          {result.changed
            ? `Imported as version ${result.policy.version}.`
            : "Nothing changed: this is the policy in force."}
        </p>
      ) : null}
    </form>
  );
}

/** The policy as YAML, to keep in a repository: export for everyone, import for admins. */
export function YamlPanel({ projectId, version, canEdit }: { projectId: string; version: number; canEdit: boolean }) {
  return (
    <section className="card" aria-labelledby="yaml-title">
      <h2 id="yaml-title">YAML</h2>
      <YamlExport projectId={projectId} version={version} />
      {canEdit ? <YamlImport projectId={projectId} version={version} /> : null}
    </section>
  );
}
