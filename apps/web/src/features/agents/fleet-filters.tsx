"use client";
import type { AgentSort, Team } from "@tower/shared";
import { AGENT_SORTS, AGENT_STATUSES } from "@tower/shared/domain";
import { useState } from "react";
import { FilterSelect, plainOptions, type FilterOption } from "~/ui/filter-select";
import type { FleetFilters } from "./use-fleet-filters";

const SORT_LABELS: Record<AgentSort, string> = {
  name: "Name",
  updatedAt: "Last updated",
  createdAt: "Created",
  lastActiveAt: "Last active",
  status: "Status",
  role: "Role",
};

const ORDERS: FilterOption<"asc" | "desc">[] = [
  { value: "asc", label: "Ascending" },
  { value: "desc", label: "Descending" },
];

/**
 * The search box, and the other filters and the sort (folded behind a button on a phone). `roles`
 * and `categories` are the choices offered.
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
        <FilterSelect
          id="filter-status"
          label="Status"
          value={view.status}
          options={plainOptions(AGENT_STATUSES)}
          anyLabel="All statuses"
          onChange={(status) => set({ status })}
        />
        <FilterSelect
          id="filter-role-filter"
          label="Role filter"
          value={view.role}
          options={plainOptions(roles)}
          anyLabel="Any role"
          onChange={(role) => set({ role })}
        />
        <FilterSelect
          id="filter-category-filter"
          label="Category filter"
          value={view.category}
          options={plainOptions(categories)}
          anyLabel="Any category"
          onChange={(category) => set({ category })}
        />
        <div className="filter">
          <label htmlFor="filter-tag-filter">Tag filter</label>
          <input
            id="filter-tag-filter"
            value={filters.tagText}
            onChange={(e) => filters.setTagText(e.target.value)}
            placeholder="Any tag"
          />
        </div>
        <FilterSelect
          id="filter-team-filter"
          label="Team filter"
          value={view.teamId}
          options={teams.map((t) => ({ value: t.id, label: t.name }))}
          anyLabel="Any team"
          onChange={(teamId) => set({ teamId })}
        />
        <FilterSelect
          id="filter-sort-by"
          label="Sort by"
          value={view.sort}
          options={AGENT_SORTS.map((sort) => ({ value: sort, label: SORT_LABELS[sort] }))}
          onChange={(sort) => set({ sort: sort || "name" })}
        />
        <FilterSelect
          id="filter-order"
          label="Order"
          value={view.order}
          options={ORDERS}
          onChange={(order) => set({ order: order || "asc" })}
        />
      </div>
    </form>
  );
}
