"use client";
import type { AgentSort, AgentStatus } from "@tower/shared";
import { AGENT_SORTS, AGENT_STATUSES, LIMITS } from "@tower/shared/domain";
import { useMemo } from "react";
import { oneOf, text, useSearchState, useSearchText, type Codecs } from "~/lib/search-params";
import type { ListFilters } from "./live-cache";

/** The fleet's view as the URL holds it: `/agents?status=idle&role=reviewer&sort=lastActiveAt&order=desc`. */
export interface FleetView {
  status: AgentStatus | "";
  role: string;
  category: string;
  tag: string;
  teamId: string;
  q: string;
  sort: AgentSort;
  order: "asc" | "desc";
}

/**
 * The names, choices and limits of `agent.list`'s input (AgentListInputSchema), from the same
 * zod-free constants its enums are built from; a value it would refuse is ignored.
 */
const CODECS: Codecs<FleetView> = {
  status: oneOf(AGENT_STATUSES, ""),
  role: text(LIMITS.shortTextLength),
  category: text(LIMITS.shortTextLength),
  tag: text(LIMITS.shortTextLength),
  teamId: text(64), // IdSchema
  q: text(LIMITS.shortTextLength),
  sort: oneOf(AGENT_SORTS, "name"),
  order: oneOf(["asc", "desc"], "asc"),
};

const CLEARED = { status: "", role: "", category: "", tag: "", teamId: "", q: "" } as const;

/**
 * The fleet's filters and sort, in the URL. The search and tag boxes are typed into: their text
 * is local and reaches the URL (and the query) once typing pauses.
 */
export function useFleetFilters() {
  const [view, setView] = useSearchState(CODECS);
  const [search, setSearch] = useSearchText(view.q, (q, mode) => setView({ q }, mode));
  const [tagText, setTagText] = useSearchText(view.tag, (tag, mode) => setView({ tag }, mode));

  const { status, role, category, tag, teamId, q, sort, order } = view;
  const filters = useMemo<ListFilters>(
    () => ({
      status: status || undefined,
      role: role || undefined,
      category: category || undefined,
      tag: tag || undefined,
      teamId: teamId || undefined,
      q: q || undefined,
      sort,
      order,
    }),
    [status, role, category, tag, teamId, q, sort, order],
  );

  /** Every filter back to "any" (the sort stays), as one history entry. */
  function clear() {
    setSearch("");
    setTagText("");
    setView(CLEARED);
  }

  return {
    view,
    set: setView,
    search,
    setSearch,
    tagText,
    setTagText,
    filters,
    filtered: Boolean(status || role || category || tag || teamId || q),
    /** Filters besides the search box (folded away on a phone): how many are set. */
    moreSet: [status, role, category, tagText.trim(), teamId].filter(Boolean).length,
    clear,
  };
}

export type FleetFilters = ReturnType<typeof useFleetFilters>;
