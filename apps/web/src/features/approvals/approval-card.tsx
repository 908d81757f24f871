"use client";
import type { Approval } from "@tower/shared";
import { POLICY_LIMITS } from "@tower/shared/domain";
import Link from "next/link";
import { useId, type ReactNode } from "react";
import { usd } from "~/lib/format";
import { ErrorText } from "~/ui/states";
import { ago, compactInput, statusOf, timeLeft } from "./format";
import { ApprovalStatusBadge } from "./status";
import { useDecision } from "./use-decision";

export const agentHref = (projectId: string, agentId: string) =>
  `/agents/${encodeURIComponent(agentId)}?project=${encodeURIComponent(projectId)}`;

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** The request's input: one line, and the whole JSON on demand. */
export function InputPreview({ input }: { input: Record<string, unknown> }) {
  const line = compactInput(input);
  if (!line) return <span className="muted">none</span>;
  const full = JSON.stringify(input, null, 2);
  if (full.length <= 80) return <code className="input-line">{line}</code>;
  return (
    <details className="input-details">
      <summary>
        <code className="input-line">{line}</code>
      </summary>
      <pre className="input-full" tabIndex={0} role="region" aria-label="Full input">
        {full}
      </pre>
    </details>
  );
}

/** What was asked: agent, tool, operation, path, input, cost, and the rule and reason that asked for a person. */
export function RequestFacts({ approval, projectId, now }: { approval: Approval; projectId: string; now: number }) {
  return (
    <dl className="facts approval-facts">
      <Fact term="Agent">
        <Link href={agentHref(projectId, approval.agentId)}>{approval.agentName}</Link>
      </Fact>
      <Fact term="Tool">
        <code>{approval.tool}</code>
      </Fact>
      <Fact term="Operation">{approval.operation}</Fact>
      <Fact term="Path">{approval.path ? <code>{approval.path}</code> : <span className="muted">—</span>}</Fact>
      {approval.estimatedCostUsd !== null ? <Fact term="Estimated cost">{usd(approval.estimatedCostUsd)}</Fact> : null}
      <Fact term="Input">
        <InputPreview input={approval.input} />
      </Fact>
      <Fact term="Rule">
        {approval.ruleId ? <code>{approval.ruleId}</code> : <span className="muted">the project default</span>}{" "}
        <span className="muted">(policy v{approval.policyVersion})</span>
      </Fact>
      <Fact term="Reason">{approval.reason}</Fact>
      <Fact term="Asked">
        <time
          dateTime={new Date(approval.createdAt).toISOString()}
          title={new Date(approval.createdAt).toLocaleString()}
        >
          {ago(approval.createdAt, now)}
        </time>
        {approval.requestedWith ? <span className="muted"> · key {approval.requestedWith}…</span> : null}
        {approval.requestedByName ? (
          <span className="muted"> · by {approval.requestedByName}, on the agent&apos;s behalf</span>
        ) : null}
      </Fact>
    </dl>
  );
}

/** The approve / deny controls: an optional comment, and on approve an optional grant for N minutes. */
function DecisionForm({
  projectId,
  approval,
  expired,
  onFailed,
}: {
  projectId: string;
  approval: Approval;
  expired: boolean;
  onFailed?: ((error: unknown) => void) | undefined;
}) {
  const form = useDecision(projectId, approval, onFailed);
  const id = useId();
  const disabled = form.pending || expired;
  return (
    <div className="decision-form">
      <label htmlFor={`${id}-comment`}>Comment (optional)</label>
      <textarea
        id={`${id}-comment`}
        rows={2}
        maxLength={POLICY_LIMITS.commentLength}
        value={form.comment}
        onChange={(e) => form.setComment(e.target.value)}
        placeholder="Told to the agent with the decision"
        disabled={expired}
      />
      <div className="grant-row">
        <label className="check">
          <input
            type="checkbox"
            checked={form.grant}
            onChange={(e) => form.setGrant(e.target.checked)}
            disabled={expired}
          />
          On approve, also allow {approval.agentName} to use {approval.tool} for
        </label>
        <input
          type="number"
          className="grant-minutes"
          aria-label="Grant minutes"
          min={1}
          max={POLICY_LIMITS.grantMaxMinutes}
          step={1}
          value={form.minutes}
          onChange={(e) => form.setMinutes(e.target.value)}
          disabled={!form.grant || expired}
          aria-invalid={form.minutesError !== null}
        />
        <span>minutes</span>
      </div>
      {form.minutesError ? (
        <p className="field-error" role="alert">
          {form.minutesError}
        </p>
      ) : null}
      <div className="decision-actions">
        <button
          type="button"
          className="primary"
          disabled={disabled || form.minutesError !== null}
          onClick={() => form.submit("approve")}
        >
          {form.deciding === "approve" ? "Approving…" : "Approve"}
        </button>
        <button type="button" className="danger" disabled={disabled} onClick={() => form.submit("deny")}>
          {form.deciding === "deny" ? "Denying…" : "Deny"}
        </button>
      </div>
      {form.error ? <ErrorText error={form.error} context="Not decided" /> : null}
    </div>
  );
}

/**
 * One pending request in the inbox: what was asked, by whom, under which rule, the time left
 * counting down, and (for approvers) one tap to approve or deny. Past its expiry it reads
 * "expired" and can no longer be decided.
 */
export function PendingApprovalCard({
  projectId,
  approval,
  now,
  canDecide,
  onFailed,
}: {
  projectId: string;
  approval: Approval;
  now: number;
  canDecide: boolean;
  /** A decision the server refused (someone else decided first, it expired): the page says so. */
  onFailed?: (error: unknown) => void;
}) {
  const status = statusOf(approval, now);
  const expired = status === "expired";
  const titleId = `approval-${approval.id}`;
  return (
    <article className="card approval-card" data-approval={approval.id} data-status={status} aria-labelledby={titleId}>
      <div className="approval-head">
        <h3 id={titleId}>
          {approval.agentName} → <code>{approval.tool}</code>
        </h3>
        <ApprovalStatusBadge status={status} />
        <span className={`countdown${expired ? " countdown-over" : ""}`} data-countdown>
          {timeLeft(approval.expiresAt, now)}
        </span>
      </div>
      <RequestFacts approval={approval} projectId={projectId} now={now} />
      {canDecide && status === "pending" ? (
        <DecisionForm projectId={projectId} approval={approval} expired={expired} onFailed={onFailed} />
      ) : null}
      {expired ? <p className="muted">Nobody decided in time: the agent was told it expired.</p> : null}
    </article>
  );
}

/** A request that left the inbox while the page was open: how it ended, and by whom; dismissable. */
export function SettledApprovalCard({
  projectId,
  approval,
  now,
  onDismiss,
}: {
  projectId: string;
  approval: Approval;
  now: number;
  onDismiss(): void;
}) {
  const status = statusOf(approval, now);
  const titleId = `approval-${approval.id}`;
  return (
    <article
      className="card approval-card approval-settled"
      data-approval={approval.id}
      data-status={status}
      aria-labelledby={titleId}
    >
      <div className="approval-head">
        <h3 id={titleId}>
          {approval.agentName} → <code>{approval.tool}</code>
        </h3>
        <ApprovalStatusBadge status={status} />
        <button type="button" className="link-button" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
      <p>
        <SettledLine approval={approval} status={status} now={now} />
      </p>
      <RequestFacts approval={approval} projectId={projectId} now={now} />
    </article>
  );
}

/** "Approved by Olive 1 min ago: ship it", "Expired: nobody decided in time", "Cancelled by the agent". */
export function SettledLine({
  approval,
  status,
  now,
}: {
  approval: Approval;
  status: Approval["status"];
  now: number;
}) {
  if (status === "expired") return <>Expired: nobody decided in time.</>;
  if (status === "cancelled")
    return <>Cancelled{approval.deciderName ? ` by ${approval.deciderName}` : " by the agent"}.</>;
  if (status === "pending") return <>Waiting for a decision.</>;
  const verb = status === "approved" ? "Approved" : "Denied";
  return (
    <>
      {verb} by {approval.deciderName ?? "someone"}
      {approval.decidedAt ? ` ${ago(approval.decidedAt, now)}` : ""}
      {approval.comment ? `: “${approval.comment}”` : "."}
      {approval.grantId ? " (with a grant)" : ""}
    </>
  );
}
