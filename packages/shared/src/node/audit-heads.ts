import { createHash, sign, verify, type KeyObject } from "node:crypto";
import { SignedAuditHeadSchema, type AuditChainStart, type AuditHead, type SignedAuditHead } from "../audit";
import type { AuditChainBreak } from "./audit-chain";

/** Changing what a head means changes this tag, so old signatures can never be read as new ones. */
const HEAD_FORMAT = "tower-audit-head/1";

/** The exact bytes a head's signature covers: every field, in a fixed order. */
export function auditHeadMessage(head: AuditHead): Buffer {
  return Buffer.from(
    JSON.stringify([
      HEAD_FORMAT,
      head.projectId,
      head.throughId,
      head.hash,
      head.rows,
      head.checkpoint?.throughId ?? null,
      head.checkpoint?.throughHash ?? null,
      head.at,
      head.keyId,
    ]),
  );
}

/** A short name for a public key (SHA-256 of its SPKI form): tells heads of a replaced key apart. */
export function auditKeyId(publicKey: KeyObject): string {
  return createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex")
    .slice(0, 16);
}

export function signAuditHead(head: AuditHead, privateKey: KeyObject): SignedAuditHead {
  // Ed25519 hashes internally: the algorithm argument must be null.
  return { ...head, signature: sign(null, auditHeadMessage(head), privateKey).toString("base64") };
}

export type SignedHeadCheck = { ok: true; head: SignedAuditHead } | { ok: false; reason: string };

/** Whether a parsed line of a signed-heads file is a head that `publicKey` signed, unchanged. */
export function checkSignedHead(value: unknown, publicKey: KeyObject): SignedHeadCheck {
  const parsed = SignedAuditHeadSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: "not a signed audit head" };
  const head = parsed.data;
  const keyId = auditKeyId(publicKey);
  if (head.keyId !== keyId) return { ok: false, reason: `signed by another key (${head.keyId}, not ${keyId})` };
  const { signature, ...content } = head;
  if (!verify(null, auditHeadMessage(content), publicKey, Buffer.from(signature, "base64"))) {
    return { ok: false, reason: "the signature does not match: the head was changed after it was signed" };
  }
  return { ok: true, head };
}

/** How a chain, as stored now (or as exported), ends and starts. */
export interface AuditChainEnd {
  /** Where its stored rows start: its latest retention checkpoint, if any. */
  checkpoint: AuditChainStart | null;
  /** Its last row's id (the checkpoint's, or 0, when no row is stored after it). */
  lastId: number;
  /** The stored hash of row `head.throughId`, or null when there is no such row. */
  hashAtHead: string | null;
}

const when = (at: number) => new Date(at).toISOString();

/**
 * Whether a chain still contains everything a signed head vouched for. The chain's own links prove
 * it unchanged from its start to its end; the head proves where that end and start must be. So:
 * - the head's last row must be there with the signed hash (else rows were cut: truncation, or the
 *   chain was rewritten before it), and
 * - the chain must start at the head's checkpoint, or at a later one the caller knows the server
 *   made itself (`checkpointVouched`): any other checkpoint is forged, since retention pruning is
 *   always followed by a new signed head.
 */
export function compareWithSignedHead(
  chain: AuditChainEnd,
  head: AuditHead,
  { checkpointVouched = false }: { checkpointVouched?: boolean } = {},
): AuditChainBreak | null {
  const start = chain.checkpoint?.throughId ?? 0;
  const signedStart = head.checkpoint?.throughId ?? 0;
  const signed = `the head signed at ${when(head.at)}`;
  const sameStart =
    start === signedStart && (chain.checkpoint?.throughHash ?? null) === (head.checkpoint?.throughHash ?? null);
  if (!sameStart && !(start > signedStart && checkpointVouched)) {
    return {
      at: start,
      problem: "checkpoint",
      reason:
        `The chain starts at a checkpoint through row ${start} that no signed head accounts for ` +
        `(${signed} starts ${signedStart ? `after row ${signedStart}` : "at the beginning"}): ` +
        "a forged checkpoint, with the rows it claims to prune deleted",
    };
  }
  if (head.throughId <= start) return null; // pruned since, by a checkpoint the server made
  if (chain.lastId < head.throughId) {
    return {
      at: head.throughId,
      problem: "truncated",
      reason:
        `Rows were cut from the end: the chain ends at row ${chain.lastId} but ${signed} ` +
        `covers row ${head.throughId} (${head.rows} rows)`,
    };
  }
  if (chain.hashAtHead !== head.hash) {
    return {
      at: head.throughId,
      problem: "rewritten",
      reason:
        chain.hashAtHead === null
          ? `Row ${head.throughId}, covered by ${signed}, is missing: rows were removed and the chain re-linked`
          : `Row ${head.throughId} does not have the hash in ${signed}: the chain up to it was rewritten`,
    };
  }
  return null;
}
