import type { AuditChainStart, SignedAuditHead } from "@tower/shared";
import { auditKeyId, signAuditHead } from "@tower/shared/node";
import type { Logger } from "pino";
import type { AuditAnchor } from "../core/audit-ports";
import { openHeadsAppender, readSignedHeads, type HeadsAppender } from "./audit-heads-file";
import { ephemeralSigningKey, loadOrCreateSigningKey, type SigningKey } from "./audit-signing-key";

/** Heads kept in memory per project: what `audit.heads` can answer. */
const KEEP = 100;

export function createAuditAnchor({
  key = ephemeralSigningKey(),
  heads = new Map<string, SignedAuditHead[]>(),
  appender,
}: { key?: SigningKey; heads?: Map<string, SignedAuditHead[]>; appender?: HeadsAppender } = {}): AuditAnchor {
  const keyId = auditKeyId(key.publicKey);
  const vouched = new Map<string, Set<string>>();
  const label = (checkpoint: AuditChainStart) => `${checkpoint.throughId}:${checkpoint.throughHash}`;
  return {
    publicKey: key.publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId,
    latest: (projectId) => heads.get(projectId)?.at(-1) ?? null,
    recent: (projectId, limit) => (heads.get(projectId) ?? []).slice(-limit).reverse(),
    latestAll: () => [...heads.values()].flatMap((list) => list.slice(-1)),
    sign(head) {
      const signed = signAuditHead({ ...head, keyId }, key.privateKey);
      appender?.append([signed]);
      const list = heads.get(head.projectId) ?? [];
      list.push(signed);
      if (list.length > KEEP) list.shift();
      heads.set(head.projectId, list);
      return signed;
    },
    vouch(projectId, checkpoint) {
      let set = vouched.get(projectId);
      if (!set) vouched.set(projectId, (set = new Set()));
      set.add(label(checkpoint));
    },
    isVouched: (projectId, checkpoint) => !!checkpoint && !!vouched.get(projectId)?.has(label(checkpoint)),
    close: () => appender?.close(),
  };
}

export interface AuditAnchorFiles {
  /** The Ed25519 private key (created on first start, mode 0600). */
  keyPath: string;
  /** The signed heads, JSON lines, appended. */
  headsPath: string;
  logger: Logger;
}

/** The anchor on its files: loads (or creates) the key and the newest genuine heads of each project. */
export async function openAuditAnchor({ keyPath, headsPath, logger }: AuditAnchorFiles): Promise<AuditAnchor> {
  const key = loadOrCreateSigningKey(keyPath, logger);
  const { heads, rejected } = await readSignedHeads(headsPath, key.publicKey, KEEP);
  // Evidence of tampering (or of a replaced key): said loudly, and never built on. A replaced key
  // rejects every line, so the first few are logged one by one and the rest counted.
  for (const { line, reason } of rejected.slice(0, 10)) {
    logger.error({ path: headsPath, line, reason }, "signed audit head rejected");
  }
  if (rejected.length > 10) {
    logger.error({ path: headsPath, more: rejected.length - 10 }, "more signed audit heads rejected");
  }
  const anchor = createAuditAnchor({ key, heads, appender: openHeadsAppender(headsPath) });
  logger.info({ keyId: anchor.keyId, heads: headsPath }, "audit chain heads are signed");
  return anchor;
}
