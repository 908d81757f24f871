import type { KeyObject } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, writeSync } from "node:fs";
import type { SignedAuditHead } from "@tower/shared";
import { checkSignedHead, readJsonLines } from "@tower/shared/node";

export interface RejectedHeadLine {
  line: number;
  reason: string;
}

/**
 * The newest `keep` heads of each project in a signed-heads file (JSON lines, oldest first),
 * oldest first. Only those are checked against `publicKey` (a file grows by a line per project per
 * signing, and startup should not verify years of them); a line that fails is left out and
 * reported, so the heads kept are the newest genuine ones.
 */
export async function readSignedHeads(
  file: string,
  publicKey: KeyObject,
  keep: number,
): Promise<{ heads: Map<string, SignedAuditHead[]>; rejected: RejectedHeadLine[] }> {
  const raw = new Map<string, { line: number; value: unknown }[]>();
  const rejected: RejectedHeadLine[] = [];
  if (existsSync(file)) {
    for await (const entry of readJsonLines(file)) {
      const { line } = entry;
      if (!entry.ok) {
        rejected.push({ line, reason: "not JSON" });
        continue;
      }
      const { value } = entry;
      const projectId = (value as { projectId?: unknown } | null)?.projectId;
      if (typeof projectId !== "string") {
        rejected.push({ line, reason: "not a signed audit head" });
        continue;
      }
      const lines = raw.get(projectId) ?? [];
      lines.push({ line, value });
      if (lines.length > keep) lines.shift();
      raw.set(projectId, lines);
    }
  }
  const heads = new Map<string, SignedAuditHead[]>();
  for (const [projectId, lines] of raw) {
    const genuine: SignedAuditHead[] = [];
    for (const { line, value } of lines) {
      const check = checkSignedHead(value, publicKey);
      if (check.ok) genuine.push(check.head);
      else rejected.push({ line, reason: check.reason });
    }
    heads.set(projectId, genuine);
  }
  return { heads, rejected: rejected.sort((a, b) => a.line - b.line) };
}

export interface HeadsAppender {
  append(heads: SignedAuditHead[]): void;
  close(): void;
}

/** Appends heads to the file, one JSON line each, flushed to disk before `append` returns. */
export function openHeadsAppender(file: string): HeadsAppender {
  const fd = openSync(file, "a", 0o644);
  let open = true;
  return {
    append(heads) {
      if (!open || heads.length === 0) return;
      writeSync(fd, heads.map((head) => `${JSON.stringify(head)}\n`).join(""));
      // A head is only worth something if it outlives a crash that follows it.
      fsyncSync(fd);
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
