"use client";
import type { Approval, ApprovalStatus } from "@tower/shared";
import { hasRole, type Role } from "@tower/shared/domain";
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useMemo } from "react";
import { writeApproval } from "~/lib/approval-feed";
import { useTrailingThrottle } from "~/lib/throttle";
import { trpc } from "~/lib/trpc";

// The approvals' queries and mutations. Live updates of approvals come from the shell's feed
// (lib/approval-feed.ts), which writes every change into these queries' cache; grants have their
// own feed here, opened by the pages that show them.

export const PAGE_SIZE = 50;
/** The inbox: every pending approval of the project (more than this many at once is a backlog to page through). */
export const INBOX_SIZE = 100;

export interface ApprovalFilters {
  status?: ApprovalStatus | undefined;
  agentId?: string | undefined;
}

function listInput(projectId: string, filters: ApprovalFilters, limit: number) {
  return {
    projectId,
    limit,
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.agentId ? { agentId: filters.agentId } : {}),
  };
}

/** Approvals newest first in keyset pages ("Load more"), live through the shell's feed. */
export function useApprovalList(projectId: string, filters: ApprovalFilters, limit = PAGE_SIZE) {
  const input = useMemo(() => listInput(projectId, filters, limit), [projectId, filters, limit]);
  const query = trpc.approval.list.useInfiniteQuery(input, {
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: Infinity, // the feed keeps it fresh
  });
  const items = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  return { query, items };
}

/** Who may decide: the policy's approver role (people only), and whether the signed-in member has it. */
export function useApproverRole(projectId: string, role: Role) {
  const policy = trpc.policy.get.useQuery({ projectId }, { staleTime: 60_000 });
  const approverRole = policy.data?.document.approverRole ?? "operator";
  return { approverRole, canDecide: policy.isSuccess && hasRole(role, approverRole), loaded: policy.isSuccess };
}

/**
 * Approve or deny; the answer lands in every list at once (the feed confirms it). `onFailed` hears
 * a refusal (someone else decided first, it expired) even when the form that asked is gone: the
 * feed often settles the card, unmounting its form, before the refusal arrives.
 */
export function useDecide(projectId: string, onFailed?: (error: unknown) => void) {
  const queryClient = useQueryClient();
  const utils = trpc.useUtils();
  return trpc.approval.decide.useMutation({
    onSuccess: (approval: Approval) => {
      writeApproval(queryClient, approval);
      void utils.approval.pendingCount.invalidate({ projectId });
      if (approval.grantId) void utils.grant.list.invalidate({ projectId });
    },
    onError: (error) => {
      // Someone else decided first, or it expired: what the lists show is out of date.
      void utils.approval.invalidate();
      // Here, not in `mutate`'s own callbacks: those are dropped once the calling form unmounts.
      onFailed?.(error);
    },
  });
}

/** Active grants ("this agent, this tool, for N minutes"), newest first, live through `grant.onChange`. */
export function useGrants(projectId: string, agentId?: string) {
  const utils = trpc.useUtils();
  const input = { projectId, active: true, limit: PAGE_SIZE, ...(agentId ? { agentId } : {}) };
  const query = trpc.grant.list.useInfiniteQuery(input, {
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: Infinity,
  });
  const refresh = useTrailingThrottle(
    useCallback(() => void utils.grant.list.invalidate({ projectId }), [utils, projectId]),
  );
  trpc.grant.onChange.useSubscription({ projectId, lastEventId: null }, { onStarted: refresh, onData: refresh });
  const items = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  return { query, items };
}

export function useRevokeGrant(projectId: string) {
  const utils = trpc.useUtils();
  return trpc.grant.revoke.useMutation({ onSuccess: () => void utils.grant.list.invalidate({ projectId }) });
}
