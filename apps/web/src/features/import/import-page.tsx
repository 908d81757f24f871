"use client";
import type { ImportFileReport } from "@tower/shared";
import Link from "next/link";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useProject } from "~/features/shell";
import { hasRole, IDENTITY_FILE_PATTERN, IMPORT_OUTCOMES } from "@tower/shared/domain";
import { describeIssues } from "~/lib/errors";
import { plural } from "~/lib/format";
import { Empty } from "~/ui/states";
import { displayName, useImportAgents } from "./hooks";

function countOf(file: ImportFileReport, outcome: (typeof IMPORT_OUTCOMES)[number]) {
  return file.agents.filter((a) => a.outcome === outcome).length;
}

function kb(bytes: number) {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

/**
 * A file name or path that wraps only after a separator ("fleet/research-", "assistant.yaml"),
 * never in the middle of a word.
 */
function FileName({ name }: { name: string }) {
  const parts = name.split(/(?<=[/\\._-])/);
  return (
    <code className="file-name">
      {parts.map((part, i) => (
        <span key={i}>
          {i > 0 ? <wbr /> : null}
          {part}
        </span>
      ))}
    </code>
  );
}

function ReportTable({ files, problemsOnly }: { files: ImportFileReport[]; problemsOnly: boolean }) {
  const shown = problemsOnly ? files.filter((f) => f.error || f.agents.some((a) => a.outcome === "rejected")) : files;
  if (shown.length === 0) return <p className="muted">No problems: every file was read and every agent accepted.</p>;
  return (
    <div className="table-wrap">
      <table className="import-report" aria-label="Import report">
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Created</th>
            <th scope="col">Updated</th>
            <th scope="col">Unchanged</th>
            <th scope="col">Rejected</th>
            <th scope="col">Problems</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((file, index) => {
            const rejected = file.agents.filter((a) => a.outcome === "rejected");
            return (
              <tr key={`${file.file}-${index}`} data-file={file.file} className={file.error ? "row-error" : undefined}>
                <th scope="row" data-label="File">
                  <FileName name={file.file} />
                </th>
                <td data-label="Created">{countOf(file, "created")}</td>
                <td data-label="Updated">{countOf(file, "updated")}</td>
                <td data-label="Unchanged">{countOf(file, "unchanged")}</td>
                <td data-label="Rejected">{rejected.length}</td>
                <td data-label="Problems">
                  {file.error ? <p className="error">{file.error}</p> : null}
                  {rejected.length > 0 ? (
                    <ul className="problems">
                      {rejected.map((a, i) => (
                        <li key={`${a.name}-${i}`}>
                          <strong>{a.name || "(no name)"}</strong>: {a.reason ? describeIssues(a.reason) : "rejected"}
                        </li>
                      ))}
                    </ul>
                  ) : null}
                  {!file.error && rejected.length === 0 ? <span className="muted">—</span> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Bulk import of identity files (YAML or JSON), in chunks, with progress and a per-file report. */
export function ImportPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const canImport = hasRole(current.role, "operator");
  const { state, start, cancel, reset } = useImportAgents(projectId);
  const [files, setFiles] = useState<File[]>([]);
  const [problemsOnly, setProblemsOnly] = useState(false);
  const folderInput = useRef<HTMLInputElement>(null);
  const busy = state.phase === "reading" || state.phase === "importing";

  useEffect(() => {
    // Not in React's input attributes: lets the picker choose a whole folder.
    folderInput.current?.setAttribute("webkitdirectory", "");
    folderInput.current?.setAttribute("directory", "");
  }, []);

  function choose(list: FileList | null, fromFolder: boolean) {
    const chosen = Array.from(list ?? []);
    // A folder brings everything in it; keep only identity files.
    setFiles(fromFolder ? chosen.filter((f) => IDENTITY_FILE_PATTERN.test(f.name)) : chosen);
    reset();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (files.length > 0 && !busy) void start(files);
  }

  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  const fleetHref = `/agents?project=${encodeURIComponent(projectId)}`;

  return (
    <section className="page import-page">
      <div className="page-head">
        <h1>Import agents</h1>
        <Link href={fleetHref}>← Back to agents</Link>
      </div>
      <p className="muted">
        Identity files in YAML or JSON: one agent, a list of agents, or <code>{"{ agents: [...] }"}</code>. Agents are
        matched by name: new ones are created, existing ones updated only where a field differs.
      </p>

      {!canImport ? (
        <Empty>Importing needs the operator role in {current.projectName}.</Empty>
      ) : (
        <form className="card import-form" onSubmit={submit}>
          <div className="field">
            <label htmlFor="import-files">Identity files</label>
            <input
              id="import-files"
              type="file"
              multiple
              accept=".yaml,.yml,.json"
              disabled={busy}
              onChange={(e) => choose(e.target.files, false)}
            />
          </div>
          <div className="field">
            <label htmlFor="import-folder">Or a whole folder</label>
            <input
              id="import-folder"
              ref={folderInput}
              type="file"
              multiple
              disabled={busy}
              onChange={(e) => choose(e.target.files, true)}
            />
          </div>
          <p className="muted" aria-live="polite">
            {files.length === 0
              ? "No files chosen."
              : `${plural(files.length, "file")} chosen (${kb(totalBytes)}): ${files
                  .slice(0, 3)
                  .map(displayName)
                  .join(", ")}${files.length > 3 ? ", …" : ""}`}
          </p>
          <div className="dialog-actions">
            {busy ? (
              <button type="button" onClick={cancel}>
                Stop after this chunk
              </button>
            ) : null}
            <button type="submit" className="primary" disabled={files.length === 0 || busy}>
              {busy ? "Importing…" : files.length === 0 ? "Import" : `Import ${plural(files.length, "file")}`}
            </button>
          </div>
        </form>
      )}

      {state.phase !== "idle" ? (
        <section className="card" aria-labelledby="import-result-title">
          <h2 id="import-result-title">
            {state.phase === "done" ? "Import finished" : state.phase === "cancelled" ? "Import stopped" : "Importing…"}
          </h2>
          <div className="progress-row">
            <progress aria-label="Import progress" value={state.done} max={Math.max(state.total, 1)} />
            <span className="progress-text" role="status">
              {state.done} of {plural(state.total, "file")}
            </span>
          </div>
          <ul className="import-totals" aria-label="Import totals">
            {IMPORT_OUTCOMES.map((outcome) => (
              <li key={outcome} data-outcome={outcome} className={`outcome-${outcome}`}>
                <strong>{state.report.totals[outcome]}</strong> {outcome}
              </li>
            ))}
            {state.report.files.some((f) => f.error) ? (
              <li data-outcome="file-errors" className="outcome-rejected">
                <strong>{state.report.files.filter((f) => f.error).length}</strong>{" "}
                {state.report.files.filter((f) => f.error).length === 1 ? "file error" : "file errors"}
              </li>
            ) : null}
          </ul>
          {state.report.files.length > 0 ? (
            <>
              <label className="check">
                <input type="checkbox" checked={problemsOnly} onChange={(e) => setProblemsOnly(e.target.checked)} />
                Show only files with problems
              </label>
              <ReportTable files={state.report.files} problemsOnly={problemsOnly} />
            </>
          ) : null}
          {state.phase === "done" ? (
            <p>
              <Link href={fleetHref}>See the fleet</Link>
            </p>
          ) : null}
        </section>
      ) : null}
    </section>
  );
}
