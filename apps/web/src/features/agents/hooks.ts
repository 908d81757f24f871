"use client";
import type { Agent, AgentCreateInput, AgentPatch, ChangeEvent } from "@tower/shared";
import { useTrailingThrottle } from "~/lib/throttle";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { patchTeamMembers } from "~/features/teams";
import { plural } from "~/lib/format";
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
    ...(filters.tag ? { tag: filters.tag } : {}),
    ...(filters.teamId ? { teamId: filters.teamId } : {}),
    ...(filters.q ? { q: filters.q } : {}),
  };
}

function toChange(event: ChangeEvent): AgentChange | null {
  if (event.entity !== "agent") return null;
  return event.op === "deleted" ? { op: "deleted", id: event.data.id } : { op: event.op, agent: event.data };
}

/** The fleet list (keyset pages) kept live by `agent.onChange` from the list's own `lastEventId`. */
export function useAgentList(projectId: string, filters: ListFilters) {
  const input = useMemo(() => listInput(projectId, filters), [projectId, filters]);
  const query = trpc.agent.list.useInfiniteQuery(input, {
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: Infinity, // the subscription keeps it fresh
  });
  const apply = useApplyChange(projectId, filters);
  const utils = trpc.useUtils();
  const refreshSummary = useTrailingThrottle(
    useCallback(() => void utils.agent.summary.invalidate({ projectId }), [utils, projectId]),
  );
  const lastEventId = query.data?.pages[0]?.lastEventId;

  trpc.agent.onChange.useSubscription(
    { projectId, lastEventId: lastEventId ?? null },
    {
      enabled: lastEventId !== undefined,
      onData: (tracked) => {
        const change = toChange(tracked.data);
        if (!change) return;
        apply(change);
        refreshSummary();
      },
    },
  );

  const agents = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  return { query, agents };
}

/** Writes one change into the visible list, the per-agent cache and team member lists; other filter views refetch when shown. */
function useApplyChange(projectId: string, filters: ListFilters | null) {
  const utils = trpc.useUtils();
  return useCallback(
    (change: AgentChange) => {
      if (filters) {
        const input = listInput(projectId, filters);
        utils.agent.list.setInfiniteData(input, (data) => applyChange(data, change, filters));
      }
      if (change.op === "deleted") utils.agent.byId.setData({ projectId, id: change.id }, undefined);
      else {
        utils.agent.byId.setData({ projectId, id: change.agent.id }, change.agent);
        utils.team.list.setData({ projectId }, (teams) => patchTeamMembers(teams, change.agent));
      }
    },
    [utils, projectId, filters],
  );
}

/** Counts by status, role and category; refreshed (throttled) by the fleet list's change feed. */
export function useAgentSummary(projectId: string) {
  return trpc.agent.summary.useQuery({ projectId });
}

export function useCreateAgent(projectId: string, filters: ListFilters) {
  const apply = useApplyChange(projectId, filters);
  const utils = trpc.useUtils();
  return trpc.agent.create.useMutation({
    onSuccess: (agent: Agent) => {
      apply({ op: "created", agent });
      void utils.agent.summary.invalidate({ projectId });
    },
  });
}

export function useUpdateAgent(projectId: string, filters: ListFilters | null) {
  const apply = useApplyChange(projectId, filters);
  return trpc.agent.update.useMutation({
    onSuccess: (agent: Agent) => apply({ op: "updated", agent }),
  });
}

export function useDeleteAgent(projectId: string, filters: ListFilters) {
  const apply = useApplyChange(projectId, filters);
  const utils = trpc.useUtils();
  return trpc.agent.delete.useMutation({
    onSuccess: (_result, variables) => {
      apply({ op: "deleted", id: variables.id });
      void utils.agent.summary.invalidate({ projectId });
    },
  });
}

/** Enable or disable one agent; the result lands in the caches at once (the feed confirms it). */
export function useSetEnabled(projectId: string, filters: ListFilters | null) {
  const apply = useApplyChange(projectId, filters);
  return trpc.agent.setEnabled.useMutation({
    onSuccess: (agent: Agent) => apply({ op: "updated", agent }),
  });
}

export function useActivateAll() {
  return trpc.fleet.activateAll.useMutation();
}

/** The kill switch; each disabled agent arrives through `agent.onChange`. */
export function useDeactivateAll() {
  return trpc.fleet.deactivateAll.useMutation();
}

export function useAgent(projectId: string, id: string) {
  return trpc.agent.byId.useQuery({ projectId, id }, { staleTime: Infinity });
}

export const SESSION_PAGE_SIZE = 20;

/**
 * The agent's sessions, newest first; the open one (if any) is the first item. Kept fresh by the
 * agent's live activity (every change of the agent invalidates it), never by polling.
 */
export function useAgentSessions(projectId: string, agentId: string) {
  return trpc.session.list.useInfiniteQuery(
    { projectId, agentId, limit: SESSION_PAGE_SIZE },
    { getNextPageParam: (last) => last.nextCursor ?? undefined },
  );
}

export interface ActivityItem {
  id: string;
  at: number;
  text: string;
}

function describe(event: ChangeEvent, before: Agent | undefined): string {
  if (event.entity !== "agent") return "";
  if (event.op === "created") return "created";
  if (event.op === "deleted") return "deleted";
  const after = event.data;
  const parts: string[] = [];
  if (before && before.status !== after.status) parts.push(`status ${before.status} → ${after.status}`);
  if (before) {
    const changed = (["name", "role", "category", "description", "version", "owner", "teamId"] as const).filter(
      (key) => before[key] !== after[key],
    );
    if (changed.length > 0) parts.push(`updated ${changed.join(", ")}`);
    if (before.runsCount !== after.runsCount)
      parts.push(`reported ${plural(after.runsCount - before.runsCount, "run")}`);
  }
  return parts.length > 0 ? parts.join("; ") : "updated";
}

const ACTIVITY_LIMIT = 100;

export interface AgentActivity {
  items: ActivityItem[];
  /** When the agent was deleted (by anyone, anywhere) while this page was open; else null. */
  deletedAt: number | null;
}

/**
 * Live activity of one agent: its change events as they arrive (`agent.onChange {agentId}`),
 * newest first, each described against the cached copy before it; the cache is updated too. A
 * deletion is reported as `deletedAt`, and the last known copy stays in the cache for the page.
 */
export function useAgentActivity(projectId: string, agentId: string, enabled: boolean): AgentActivity {
  const utils = trpc.useUtils();
  const apply = useApplyChange(projectId, null);
  const [items, setItems] = useState<ActivityItem[]>([]);
  const [deletedAt, setDeletedAt] = useState<number | null>(null);
  // The copy each event is compared with: the first one loaded, then each event's. Not the cache,
  // which the page's own mutations update before their event arrives.
  const seen = useRef<Agent | undefined>(undefined);

  useEffect(() => {
    setItems([]);
    setDeletedAt(null);
    seen.current = undefined;
  }, [projectId, agentId]);

  useEffect(() => {
    if (enabled) seen.current ??= utils.agent.byId.getData({ projectId, id: agentId });
  }, [enabled, utils, projectId, agentId]);

  trpc.agent.onChange.useSubscription(
    { projectId, agentId, lastEventId: null },
    {
      enabled,
      onStarted: () => {
        seen.current ??= utils.agent.byId.getData({ projectId, id: agentId });
        void utils.agent.byId.invalidate({ projectId, id: agentId });
      },
      onData: (tracked) => {
        const event: ChangeEvent = tracked.data;
        const change = toChange(event);
        if (!change) return;
        if ((change.op === "deleted" ? change.id : change.agent.id) !== agentId) return;
        const item = { id: event.id, at: event.at, text: describe(event, seen.current) };
        seen.current = change.op === "deleted" ? undefined : change.agent;
        setItems((current) =>
          current.some((i) => i.id === item.id) ? current : [item, ...current].slice(0, ACTIVITY_LIMIT),
        );
        if (change.op === "deleted") {
          setDeletedAt(event.at);
          return; // keep the last known copy on screen; there is nothing left to refetch
        }
        apply(change);
        void utils.session.list.invalidate({ projectId, agentId });
      },
    },
  );
  return { items, deletedAt };
}

export type { AgentCreateInput, AgentPatch };
