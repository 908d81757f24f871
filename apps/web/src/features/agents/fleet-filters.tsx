"use client";
import type { AgentSort, AgentStatus, Team } from "@tower/shared";
import { AGENT_SORTS, AGENT_STATUSES } from "@tower/shared/domain";
import { useState } from "react";
import type { FleetFilters } from "./use-fleet-filters";

const SORT_LABELS: Record<AgentSort, string> = {
  name: "Name",
  updatedAt: "Last updated",
  createdAt: "Created",
  lastActiveAt: "Last active",
  status: "Status",
  role: "Role",
};

/** Choices with the current one kept, even when it is not (or no longer) among them. */
export function withCurrent(choices: string[], current: string): string[] {
  return current && !choices.includes(current) ? [current, ...choices] : choices;
}

/**
 * The search box, and the other filters and the sort (folded behind a button on a phone). `roles`
 * and `categories` are the choices, the current one included.
 */
export function FleetFilterForm({
  filters,
  roles,
  categories,
  teams,
}: {
  filters: FleetFilters;
  roles: string[];
  categories: string[];
  teams: Team[];
}) {
  const { view, set } = filters;
  const [open, setOpen] = useState(false);
  return (
    <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <div className="filter filter-search">
        <label htmlFor="filter-search">Search</label>
        <input
          id="filter-search"
          type="search"
          value={filters.search}
          onChange={(e) => filters.setSearch(e.target.value)}
          placeholder="Name, role, description, tag"
        />
      </div>
      <button
        type="button"
        className="filters-toggle narrow-only"
        aria-expanded={open}
        aria-controls="more-filters"
        onClick={() => setOpen((o) => !o)}
      >
        {filters.moreSet > 0 ? `Filters (${filters.moreSet})` : "Filters"}
      </button>
      <div id="more-filters" className={`filters-more${open ? " open" : ""}`}>
        <div className="filter">
          <label htmlFor="filter-status">Status</label>
          <select
            id="filter-status"
            value={view.status}
            onChange={(e) => set({ status: e.target.value as AgentStatus | "" })}
          >
            <option value="">All statuses</option>
            {AGENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="filter-role-filter">Role filter</label>
          <select id="filter-role-filter" value={view.role} onChange={(e) => set({ role: e.target.value })}>
            <option value="">Any role</option>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="filter-category-filter">Category filter</label>
          <select id="filter-category-filter" value={view.category} onChange={(e) => set({ category: e.target.value })}>
            <option value="">Any category</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="filter-tag-filter">Tag filter</label>
          <input
            id="filter-tag-filter"
            value={filters.tagText}
            onChange={(e) => filters.setTagText(e.target.value)}
            placeholder="Any tag"
          />
        </div>
        <div className="filter">
          <label htmlFor="filter-team-filter">Team filter</label>
          <select id="filter-team-filter" value={view.teamId} onChange={(e) => set({ teamId: e.target.value })}>
            <option value="">Any team</option>
            {/* A team from a link that is not (or no longer) in the list: shown by its id. */}
            {view.teamId && !teams.some((t) => t.id === view.teamId) ? (
              <option value={view.teamId}>{view.teamId}</option>
            ) : null}
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="filter-sort-by">Sort by</label>
          <select id="filter-sort-by" value={view.sort} onChange={(e) => set({ sort: e.target.value as AgentSort })}>
            {AGENT_SORTS.map((s) => (
              <option key={s} value={s}>
                {SORT_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="filter-order">Order</label>
          <select
            id="filter-order"
            value={view.order}
            onChange={(e) => set({ order: e.target.value as "asc" | "desc" })}
          >
            <option value="asc">Ascending</option>
            <option value="desc">Descending</option>
          </select>
        </div>
      </div>
    </form>
  );
}
