"use client";
import type { Approval } from "@tower/shared";
import { useCallback, useEffect, useMemo, useState } from "react";
import { trpc } from "~/lib/trpc";
import { INBOX_SIZE, useApprovalList } from "./hooks";

const PENDING = { status: "pending" } as const;
const SETTLED_SHOWN = 20;

/**
 * The inbox: pending approvals (oldest deadline first) and those that left it while the page was
 * open (decided here or elsewhere, expired, cancelled), shown with how they ended until dismissed,
 * so a request does not silently vanish from under the person reading it.
 */
export function useInbox(projectId: string, agentId?: string) {
  const utils = trpc.useUtils();
  const filters = useMemo(() => (agentId ? { ...PENDING, agentId } : PENDING), [agentId]);
  const { query, items } = useApprovalList(projectId, filters, INBOX_SIZE);
  // Every approval the inbox has shown on this page (its last pending copy), and those dismissed.
  const [seen, setSeen] = useState<{ key: string; items: ReadonlyMap<string, Approval> }>({
    key: "",
    items: new Map(),
  });
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(() => new Set());
  const key = `${projectId}/${agentId ?? ""}`;

  const pending = useMemo(() => [...items].sort((a, b) => a.expiresAt - b.expiresAt), [items]);
  useEffect(() => {
    setSeen((current) => {
      const next = new Map(current.key === key ? current.items : []);
      for (const approval of pending) next.set(approval.id, approval);
      return { key, items: next };
    });
  }, [pending, key]);

  const pendingIds = new Set(pending.map((a) => a.id));
  const settled: Approval[] = [];
  if (seen.key === key) {
    for (const [id, last] of seen.items) {
      if (pendingIds.has(id) || dismissed.has(id)) continue;
      // The feed writes every change into the approval's own entry.
      settled.push(utils.approval.byId.getData({ projectId, id }) ?? last);
    }
  }

  // The latest first, and only so many: a busy inbox does not pile them up below.
  settled.sort((a, b) => (b.decidedAt ?? b.expiresAt) - (a.decidedAt ?? a.expiresAt));
  settled.splice(SETTLED_SHOWN);

  const dismiss = useCallback((id: string) => setDismissed((current) => new Set(current).add(id)), []);
  return { query, pending, settled, dismiss, hasMore: query.hasNextPage };
}
