"use client";
import type { AuditEvent } from "@tower/shared";
import { dateTimeOf } from "~/lib/format";
import { DecisionBadge } from "~/ui/decision-badge";
import { errorMessage } from "~/lib/errors";
import { useModalDialog } from "~/ui/modal";
import { useAuditRecord } from "./hooks";

/** One audit row in full: its detail JSON and its place in the hash chain. */
export function Drawer({
  projectId,
  row,
  agentName,
  onClose,
}: {
  projectId: string;
  row: AuditEvent;
  agentName: string | null;
  onClose(): void;
}) {
  const dialog = useModalDialog();
  const record = useAuditRecord(projectId, row.id);
  const link = (value: string | undefined) =>
    value ? <code>{value}</code> : record.error ? errorMessage(record.error) : "Loading…";
  return (
    <dialog
      ref={dialog}
      className="dialog drawer"
      aria-labelledby="audit-row-title"
      onCancel={onClose}
      onClick={(e) => {
        if (e.target === dialog.current) onClose();
      }}
    >
      <div className="drawer-head">
        <h2 id="audit-row-title">Audit row {row.id}</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <dl className="facts">
        <div>
          <dt>Time</dt>
          <dd>{dateTimeOf(row.at)}</dd>
        </div>
        <div>
          <dt>Actor</dt>
          <dd>
            {row.actorName} <span className="muted">({row.actorType})</span>
          </dd>
        </div>
        <div>
          <dt>Operation</dt>
          <dd>{row.operation}</dd>
        </div>
        <div>
          <dt>Decision</dt>
          <dd>
            <DecisionBadge decision={row.decision} />
          </dd>
        </div>
        <div>
          <dt>Target</dt>
          <dd>{row.target ? <code>{row.target}</code> : "—"}</dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd>{agentName ?? row.agentId ?? "—"}</dd>
        </div>
        <div>
          <dt>Session</dt>
          <dd>{row.sessionId ? <code>{row.sessionId}</code> : "—"}</dd>
        </div>
      </dl>
      <h3>Detail</h3>
      <pre className="metadata" tabIndex={0} role="region" aria-label="Detail JSON">
        {JSON.stringify(row.detail, null, 2)}
      </pre>
      <h3>Hash chain</h3>
      <dl className="hashes">
        <dt>Hash</dt>
        <dd>{link(record.data?.hash)}</dd>
        <dt>Previous hash</dt>
        <dd>{link(record.data?.prevHash)}</dd>
      </dl>
    </dialog>
  );
}
