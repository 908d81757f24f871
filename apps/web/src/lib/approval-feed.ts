"use client";
import type { Approval, ChangeEvent } from "@tower/shared";
import { approvalStatusAt } from "@tower/shared/domain";
import { useQueryClient, type InfiniteData, type QueryClient } from "@tanstack/react-query";
import { getQueryKey } from "@trpc/react-query";
import { useCallback, useEffect, useState } from "react";
import { useTrailingThrottle } from "./throttle";
import { trpc, type RouterInputs, type RouterOutputs } from "./trpc";

// The live approvals of a project, kept in the query cache by one subscription that the shell opens
// on every signed-in page (the navigation's pending count needs it anyway): each change lands in
// every cached approval list whose filters it matches, and in the approval's own entry.

type ApprovalPage = RouterOutputs["approval"]["list"];
export type ApprovalListInput = RouterInputs["approval"]["list"];

/** The server's rule (`approval.list`): project, agent, and status as it reads at `now`. */
export function matchesApprovalList(approval: Approval, input: ApprovalListInput, now: number): boolean {
  if (input.projectId && approval.projectId !== input.projectId) return false;
  if (input.agentId && approval.agentId !== input.agentId) return false;
  if (input.status && approvalStatusAt(approval, now) !== input.status) return false;
  return true;
}

/**
 * One approval written into the loaded pages of a list (newest first, by id): the old copy goes,
 * the new one goes where it sorts when it matches the list's filters. A row older than everything
 * loaded stays out while more pages exist ("Load more" brings it).
 */
export function applyApproval<P>(
  data: InfiniteData<ApprovalPage, P> | undefined,
  approval: Approval,
  input: ApprovalListInput,
  now: number,
): InfiniteData<ApprovalPage, P> | undefined {
  if (!data || data.pages.length === 0) return data;
  const pages = data.pages.map((page) => ({ ...page, items: page.items.filter((item) => item.id !== approval.id) }));
  if (matchesApprovalList(approval, input, now)) {
    let placed = false;
    for (const page of pages) {
      const index = page.items.findIndex((item) => item.id < approval.id);
      if (index >= 0) {
        page.items.splice(index, 0, approval);
        placed = true;
        break;
      }
    }
    const last = pages[pages.length - 1];
    if (!placed && last && last.nextCursor === null) last.items.push(approval);
  }
  return { ...data, pages };
}

function approvalOf(event: ChangeEvent): Approval | null {
  return event.entity === "approval" ? event.data : null;
}

const listKey = getQueryKey(trpc.approval.list);
const byIdKey = getQueryKey(trpc.approval.byId);

/**
 * Writes one approval into every cached list of its project (a list still loading is asked again)
 * and into its own page's query (the one-tap approve page).
 */
export function writeApproval(queryClient: QueryClient, approval: Approval) {
  const now = Date.now();
  for (const query of queryClient.getQueryCache().findAll({ queryKey: byIdKey })) {
    const input = (query.queryKey[1] as { input?: { id?: string } } | undefined)?.input;
    if (input?.id === approval.id && query.state.data !== undefined) queryClient.setQueryData(query.queryKey, approval);
  }
  for (const query of queryClient.getQueryCache().findAll({ queryKey: listKey })) {
    const input = (query.queryKey[1] as { input?: ApprovalListInput } | undefined)?.input;
    if (!input || input.projectId !== approval.projectId) continue;
    // A list being fetched now (its first load, or a refetch after the stream restarted) may have
    // been read before this change and would overwrite it: ask again, cancelling that fetch.
    if (query.state.fetchStatus === "fetching")
      void queryClient.invalidateQueries({ queryKey: query.queryKey, exact: true }, { cancelRefetch: true });
    if (query.state.data === undefined) continue;
    const isInfinite = (query.queryKey[1] as { type?: string }).type === "infinite";
    if (isInfinite)
      queryClient.setQueryData<InfiniteData<ApprovalPage, unknown>>(query.queryKey, (data) =>
        applyApproval(data, approval, input, now),
      );
    else
      queryClient.setQueryData<ApprovalPage>(query.queryKey, (page) =>
        page ? applyApproval({ pages: [page], pageParams: [null] }, approval, input, now)?.pages[0] : page,
      );
  }
}

/**
 * The project's approvals, live: `approval.onChange` from now on (tRPC resumes it from the last
 * event after a reconnect), every change written into the cache, the pending count asked again
 * (throttled). When the stream (re)starts, what is cached is asked again, for the changes made
 * while it was not listening.
 */
export function useApprovalFeed(projectId: string) {
  const utils = trpc.useUtils();
  const queryClient = useQueryClient();
  const refreshCount = useTrailingThrottle(
    useCallback(() => void utils.approval.pendingCount.invalidate({ projectId }), [utils, projectId]),
    300,
  );
  trpc.approval.onChange.useSubscription(
    { projectId, lastEventId: null },
    {
      onStarted: () => {
        void utils.approval.invalidate();
      },
      onData: (tracked) => {
        const approval = approvalOf(tracked.data);
        if (!approval || approval.projectId !== projectId) return;
        writeApproval(queryClient, approval);
        utils.approval.byId.setData({ projectId, id: approval.id }, approval);
        refreshCount();
      },
    },
  );
}

/** How many approvals wait for a person in this project (kept live by `useApprovalFeed`). */
export function usePendingCount(projectId: string) {
  return trpc.approval.pendingCount.useQuery({ projectId }, { staleTime: Infinity });
}

/** The time, ticking every `ms` while `enabled` (countdowns). */
export function useNow(ms = 1_000, enabled = true) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!enabled) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms, enabled]);
  return now;
}
