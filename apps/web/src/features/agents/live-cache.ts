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

/** SQLite's LIKE folds the case of ASCII letters only. */
const foldAscii = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * The server's list rule (`listAgents` in packages/api: equal role, category, status and team, one
 * tag equal, and `q` in the name, role, description or one of the tags, as SQL's `LIKE '%q%'`), so a
 * live change lands only where a refetch would put it. A copy, not an import: the server's rule is
 * SQL run by the database, so there is no function for the two to share.
 */
export function matchesFilters(agent: Agent, filters: ListFilters): boolean {
  if (filters.status && agent.status !== filters.status) return false;
  if (filters.role && agent.role !== filters.role) return false;
  if (filters.category && agent.category !== filters.category) return false;
  if (filters.tag && !agent.tags.includes(filters.tag)) return false;
  if (filters.teamId && agent.teamId !== filters.teamId) return false;
  if (filters.q) {
    const needle = foldAscii(filters.q);
    // Tags one by one, as the server does: the list's JSON text would match `"` or `,` on every agent.
    if (![agent.name, agent.role, agent.description, ...agent.tags].some((text) => foldAscii(text).includes(needle)))
      return false;
  }
  return true;
}

/** The server's order: the sort column (a never-active agent's last activity is 0), then the id. */
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
