"use client";
import type { Agent, AgentCreateInput, AgentPatch, ChangeEvent } from "@tower/shared";
import { useCallback, useMemo } from "react";
import { trpc } from "~/lib/trpc";
import { applyChange, type AgentChange, type ListFilters } from "./live-cache";

export const PAGE_SIZE = 50;

function listInput(projectId: string, filters: ListFilters) {
  return {
    projectId,
    sort: filters.sort,
    order: filters.order,
    limit: PAGE_SIZE,
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.role ? { role: filters.role } : {}),
    ...(filters.category ? { category: filters.category } : {}),
    ...(filters.q ? { q: filters.q } : {}),
  };
}

/** The fleet list (keyset pages) kept live by `agent.onChange` from the list's own `lastEventId`. */
export function useAgentList(projectId: string, filters: ListFilters) {
  const input = useMemo(() => listInput(projectId, filters), [projectId, filters]);
  const query = trpc.agent.list.useInfiniteQuery(input, {
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: Infinity, // the subscription keeps it fresh
  });
  const apply = useApplyChange(projectId, filters);
  const lastEventId = query.data?.pages[0]?.lastEventId;

  trpc.agent.onChange.useSubscription(
    { projectId, lastEventId: lastEventId ?? null },
    {
      enabled: lastEventId !== undefined,
      onData: (tracked) => {
        const event: ChangeEvent = tracked.data;
        if (event.entity !== "agent") return;
        apply(event.op === "deleted" ? { op: "deleted", id: event.data.id } : { op: event.op, agent: event.data });
      },
    },
  );

  const agents = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  return { query, agents };
}

/** Writes one change into the visible list and the per-agent cache; other filter views refetch when shown. */
function useApplyChange(projectId: string, filters: ListFilters) {
  const utils = trpc.useUtils();
  return useCallback(
    (change: AgentChange) => {
      const input = listInput(projectId, filters);
      utils.agent.list.setInfiniteData(input, (data) => applyChange(data, change, filters));
      if (change.op === "deleted") utils.agent.byId.setData({ projectId, id: change.id }, undefined);
      else utils.agent.byId.setData({ projectId, id: change.agent.id }, change.agent);
    },
    [utils, projectId, filters],
  );
}

export function useCreateAgent(projectId: string, filters: ListFilters) {
  const apply = useApplyChange(projectId, filters);
  return trpc.agent.create.useMutation({
    onSuccess: (agent: Agent) => apply({ op: "created", agent }),
  });
}

export function useUpdateAgent(projectId: string, filters: ListFilters) {
  const apply = useApplyChange(projectId, filters);
  return trpc.agent.update.useMutation({
    onSuccess: (agent: Agent) => apply({ op: "updated", agent }),
  });
}

export function useDeleteAgent(projectId: string, filters: ListFilters) {
  const apply = useApplyChange(projectId, filters);
  return trpc.agent.delete.useMutation({
    onSuccess: (_result, variables) => apply({ op: "deleted", id: variables.id }),
  });
}

export type { AgentCreateInput, AgentPatch };
