import type { Agent, AgentPage, AgentSort } from "@tower/shared";
import type { InfiniteData } from "@tanstack/react-query";

export interface ListFilters {
  status?: Agent["status"] | undefined;
  role?: string | undefined;
  category?: string | undefined;
  tag?: string | undefined;
  teamId?: string | undefined;
  q?: string | undefined;
  sort: AgentSort;
  order: "asc" | "desc";
}

export type AgentChange = { op: "created" | "updated"; agent: Agent } | { op: "deleted"; id: string };

/** Same rule as the server's list query, so a live change lands only where a refetch would put it. */
export function matchesFilters(agent: Agent, filters: ListFilters): boolean {
  if (filters.status && agent.status !== filters.status) return false;
  if (filters.role && agent.role !== filters.role) return false;
  if (filters.category && agent.category !== filters.category) return false;
  if (filters.tag && !agent.tags.includes(filters.tag)) return false;
  if (filters.teamId && agent.teamId !== filters.teamId) return false;
  if (filters.q) {
    const needle = filters.q.toLowerCase();
    const haystack = [agent.name, agent.role, agent.description, JSON.stringify(agent.tags)].join("\n").toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}

function sortValue(agent: Agent, sort: AgentSort): string | number {
  if (sort === "lastActiveAt") return agent.lastActiveAt ?? 0;
  return agent[sort];
}

export function compareAgents(a: Agent, b: Agent, sort: AgentSort, order: "asc" | "desc"): number {
  const x = sortValue(a, sort);
  const y = sortValue(b, sort);
  let result = x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  if (order === "desc") result = -result;
  return result;
}

/**
 * Applies one change to the loaded pages of a keyset-paged list: removes the old copy, then inserts
 * the new one where it sorts among the loaded rows. A row that sorts after everything loaded stays
 * out while more pages exist ("Load more" will bring it).
 */
export function applyChange<TParam>(
  data: InfiniteData<AgentPage, TParam> | undefined,
  change: AgentChange,
  filters: ListFilters,
): InfiniteData<AgentPage, TParam> | undefined {
  if (!data || data.pages.length === 0) return data;
  const id = change.op === "deleted" ? change.id : change.agent.id;
  const pages = data.pages.map((page) => ({ ...page, items: page.items.filter((item) => item.id !== id) }));
  if (change.op !== "deleted" && matchesFilters(change.agent, filters)) {
    const agent = change.agent;
    let placed = false;
    for (const page of pages) {
      const index = page.items.findIndex((item) => compareAgents(agent, item, filters.sort, filters.order) < 0);
      if (index >= 0) {
        page.items.splice(index, 0, agent);
        placed = true;
        break;
      }
    }
    const last = pages[pages.length - 1];
    if (!placed && last && last.nextCursor === null) last.items.push(agent);
  }
  return { ...data, pages };
}
