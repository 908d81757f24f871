import { createHash, hash as cryptoHash } from "node:crypto";
import type { AuditChainProblem } from "../audit";

/** The `prevHash` of a project's first row. */
export const GENESIS_HASH = "0".repeat(64);

/** What a row's hash covers: every stored field but its id, its own hash and the reporter's id. */
export interface AuditChainContent {
  prevHash: string;
  projectId: string;
  at: number;
  actorType: string;
  actorId: string | null;
  actorName: string;
  operation: string;
  target: string;
  decision: string | null;
  agentId: string | null;
  sessionId: string | null;
  detail: Record<string, unknown>;
  /** An agent's report: its own time and per-session sequence number (null or absent otherwise). */
  reportedAt?: number | null;
  seq?: number | null;
}

// One-shot `crypto.hash` (Node 20.12+) costs a third of a Hash object per row; older 20.x fall back.
const sha256Hex: (text: string) => string =
  typeof cryptoHash === "function"
    ? (text) => cryptoHash("sha256", text, "hex")
    : (text) => createHash("sha256").update(text).digest("hex");

/**
 * SHA-256 over the predecessor's hash and every field of the row, in a fixed order. The server
 * (writing and verifying) and `tower audit verify` offline (checking an export) share it, so an
 * exported chain is checked byte for byte as the server checks its own. The agent's time and
 * sequence number (added later) are covered when the row has either; a row with neither hashes as
 * rows always did, so chains written before them still verify.
 */
export function hashAuditRow(row: AuditChainContent, detailJson = JSON.stringify(row.detail)): string {
  const values: unknown[] = [
    row.prevHash,
    row.projectId,
    row.at,
    row.actorType,
    row.actorId,
    row.actorName,
    row.operation,
    row.target,
    row.decision,
    row.agentId,
    row.sessionId,
  ];
  if ((row.reportedAt ?? null) !== null || (row.seq ?? null) !== null)
    values.push(row.reportedAt ?? null, row.seq ?? null);
  const fields = JSON.stringify(values);
  // The same bytes as stringifying the array with `detail` as its last element; ingest passes the
  // detail's JSON it stores, so it is serialised once.
  return sha256Hex(`${fields.slice(0, -1)},${detailJson}]`);
}

/** A stored row as a chain walk reads it. */
export type AuditChainRow = Omit<AuditChainContent, "projectId"> & { id: number; hash: string };

export interface AuditChainBreak {
  at: number;
  problem: AuditChainProblem;
  reason: string;
}

/**
 * The first thing wrong with `row` as the successor of a row whose hash is `expectedPrev`, or null:
 * its link (a row before it was removed or inserted) or its content (changed after it was written).
 */
export function checkAuditRow(projectId: string, row: AuditChainRow, expectedPrev: string): AuditChainBreak | null {
  if (row.prevHash !== expectedPrev) {
    return {
      at: row.id,
      problem: "link",
      reason: "The link to the previous row is broken: a row before it was removed or inserted",
    };
  }
  const { id: _id, hash, ...content } = row;
  if (hashAuditRow({ ...content, projectId }) !== hash) {
    return { at: row.id, problem: "content", reason: "The row's content was changed after it was written" };
  }
  return null;
}
