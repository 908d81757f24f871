"use client";
import { useDebounced } from "~/lib/throttle";
import type { Agent, AgentSort, AgentStatus } from "@tower/shared";
import Link from "next/link";
import { useMemo, useState } from "react";
import { useBudgetUsage } from "~/features/budgets/hooks";
import { AGENT_SORTS, AGENT_STATUSES, hasRole } from "@tower/shared/domain";
import { TeamPanel } from "~/features/teams/team-panel";
import { useTeams } from "~/features/teams/hooks";
import { useProject } from "~/features/shell/project";
import { errorMessage, isNotFound } from "~/lib/errors";
import { AgentFormDialog, ConfirmDialog, KillSwitchDialog, type AgentFields } from "./dialogs";
import { ActivateAllButton, SummaryStrip } from "./fleet-controls";
import { AgentGrid, AgentTable, type AgentActions } from "./fleet-views";
import { useAgentList, useAgentSummary, useCreateAgent, useDeleteAgent, useSetEnabled, useUpdateAgent } from "./hooks";
import type { ListFilters } from "./live-cache";

export { StatusBadge } from "./fleet-views";

const SORT_LABELS: Record<AgentSort, string> = {
  name: "Name",
  updatedAt: "Last updated",
  createdAt: "Created",
  lastActiveAt: "Last active",
  status: "Status",
  role: "Role",
};

const VIEW_KEY = "tower.fleetView";
type View = "table" | "grid";

/** Table or grid, remembered in localStorage (the page only renders in the browser, after sign-in). */
function useView(): [View, (view: View) => void] {
  const [view, setView] = useState<View>(() =>
    typeof window !== "undefined" && window.localStorage.getItem(VIEW_KEY) === "grid" ? "grid" : "table",
  );
  return [
    view,
    (next: View) => {
      setView(next);
      window.localStorage.setItem(VIEW_KEY, next);
    },
  ];
}

type Editing =
  { kind: "create" } | { kind: "edit"; agent: Agent } | { kind: "delete"; agent: Agent } | { kind: "kill" } | null;

export function AgentsPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const canOperate = hasRole(current.role, "operator");
  const canDelete = hasRole(current.role, "admin");

  const [status, setStatus] = useState<AgentStatus | "">("");
  const [role, setRole] = useState("");
  const [category, setCategory] = useState("");
  const [teamId, setTeamId] = useState("");
  const [tagText, setTagText] = useState("");
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<AgentSort>("name");
  const [order, setOrder] = useState<"asc" | "desc">("asc");
  const [view, setView] = useView();
  const tag = useDebounced(tagText.trim());
  const q = useDebounced(search.trim());

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
  const { query, agents } = useAgentList(projectId, filters);
  const summary = useAgentSummary(projectId);
  const budget = useBudgetUsage(projectId);
  const teams = useTeams(projectId);
  const create = useCreateAgent(projectId, filters);
  const update = useUpdateAgent(projectId, filters);
  const remove = useDeleteAgent(projectId, filters);
  const setEnabled = useSetEnabled(projectId, filters);
  const [editing, setEditing] = useState<Editing>(null);
  const [filtersOpen, setFiltersOpen] = useState(false);
  const filtered = Boolean(status || role || category || tag || teamId || q);
  // Filters besides the search box (folded away on a phone): how many are set.
  const moreSet = [status, role, category, tagText.trim(), teamId].filter(Boolean).length;

  function close() {
    setEditing(null);
    create.reset();
    update.reset();
    remove.reset();
  }

  function save(fields: AgentFields) {
    if (editing?.kind === "edit")
      update.mutate({ projectId, id: editing.agent.id, patch: fields }, { onSuccess: close });
    else create.mutate({ projectId, ...fields }, { onSuccess: close });
  }

  const actions: AgentActions = {
    canToggle: canOperate,
    canEdit: canOperate,
    canDelete,
    togglingId: setEnabled.isPending ? (setEnabled.variables?.id ?? null) : null,
    onToggle: (agent) => setEnabled.mutate({ projectId, id: agent.id, enabled: agent.status === "disabled" }),
    onEdit: (agent) => setEditing({ kind: "edit", agent }),
    onDelete: (agent) => setEditing({ kind: "delete", agent }),
  };

  // Roles and categories to filter by, with the current choice kept even if its count drops to 0.
  const roles = summary.data?.byRole.map((r) => r.role) ?? [];
  if (role && !roles.includes(role)) roles.unshift(role);
  const categories = summary.data?.byCategory.map((c) => c.category) ?? [];
  if (category && !categories.includes(category)) categories.unshift(category);

  return (
    <section className="page">
      <div className="page-head">
        <h1>Agents</h1>
        {canOperate ? (
          <div className="page-actions">
            <button type="button" className="primary" onClick={() => setEditing({ kind: "create" })}>
              New agent
            </button>
            <Link className="button" href={`/agents/import?project=${encodeURIComponent(projectId)}`}>
              Import agents
            </Link>
            <ActivateAllButton projectId={projectId} />
            <button type="button" className="danger" onClick={() => setEditing({ kind: "kill" })}>
              Deactivate all
            </button>
          </div>
        ) : null}
      </div>

      <SummaryStrip summary={summary.data} status={status} onStatus={setStatus} />

      <TeamPanel projectId={projectId} role={current.role} teams={teams} knownRoles={roles} />

      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div className="filter filter-search">
          <label htmlFor="filter-search">Search</label>
          <input
            id="filter-search"
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder="Name, role, description, tag"
          />
        </div>
        <button
          type="button"
          className="filters-toggle narrow-only"
          aria-expanded={filtersOpen}
          aria-controls="more-filters"
          onClick={() => setFiltersOpen((open) => !open)}
        >
          {moreSet > 0 ? `Filters (${moreSet})` : "Filters"}
        </button>
        <div id="more-filters" className={`filters-more${filtersOpen ? " open" : ""}`}>
          <div className="filter">
            <label htmlFor="filter-status">Status</label>
            <select id="filter-status" value={status} onChange={(e) => setStatus(e.target.value as AgentStatus | "")}>
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
            <select id="filter-role-filter" value={role} onChange={(e) => setRole(e.target.value)}>
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
            <select id="filter-category-filter" value={category} onChange={(e) => setCategory(e.target.value)}>
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
              value={tagText}
              onChange={(e) => setTagText(e.target.value)}
              placeholder="Any tag"
            />
          </div>
          <div className="filter">
            <label htmlFor="filter-team-filter">Team filter</label>
            <select id="filter-team-filter" value={teamId} onChange={(e) => setTeamId(e.target.value)}>
              <option value="">Any team</option>
              {(teams.data ?? []).map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
          <div className="filter">
            <label htmlFor="filter-sort-by">Sort by</label>
            <select id="filter-sort-by" value={sort} onChange={(e) => setSort(e.target.value as AgentSort)}>
              {AGENT_SORTS.map((s) => (
                <option key={s} value={s}>
                  {SORT_LABELS[s]}
                </option>
              ))}
            </select>
          </div>
          <div className="filter">
            <label htmlFor="filter-order">Order</label>
            <select id="filter-order" value={order} onChange={(e) => setOrder(e.target.value as "asc" | "desc")}>
              <option value="asc">Ascending</option>
              <option value="desc">Descending</option>
            </select>
          </div>
        </div>
      </form>

      <div className="list-head">
        <div className="view-toggle" role="group" aria-label="View">
          <button type="button" aria-pressed={view === "table"} onClick={() => setView("table")}>
            Table
          </button>
          <button type="button" aria-pressed={view === "grid"} onClick={() => setView("grid")}>
            Grid
          </button>
        </div>
        {filtered ? (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setStatus("");
              setRole("");
              setCategory("");
              setTeamId("");
              setTagText("");
              setSearch("");
            }}
          >
            Clear filters
          </button>
        ) : null}
      </div>

      {setEnabled.error ? (
        <p className="error" role="alert">
          {errorMessage(setEnabled.error)}
        </p>
      ) : null}

      {query.isPending ? (
        <p className="loading">Loading agents…</p>
      ) : query.error ? (
        <p className="error" role="alert">
          Could not load agents: {errorMessage(query.error)}
        </p>
      ) : agents.length === 0 ? (
        <div className="empty">
          {filtered ? (
            <p>No agents match these filters.</p>
          ) : (
            <>
              <p>No agents in this project yet.</p>
              <p className="muted">
                Create one here, import identity files, or register one from code with a project API key (Settings → API
                keys).
              </p>
            </>
          )}
        </div>
      ) : view === "grid" ? (
        <AgentGrid agents={agents} projectId={projectId} actions={actions} spend={budget.byAgent} />
      ) : (
        <AgentTable agents={agents} projectId={projectId} actions={actions} spend={budget.byAgent} />
      )}

      {query.hasNextPage ? (
        <div className="load-more">
          <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
            {query.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}

      {editing?.kind === "create" || editing?.kind === "edit" ? (
        <AgentFormDialog
          key={editing.kind === "edit" ? editing.agent.id : "new"}
          agent={editing.kind === "edit" ? editing.agent : null}
          pending={create.isPending || update.isPending}
          error={editing.kind === "edit" ? (isNotFound(update.error) ? null : update.error) : create.error}
          closedReason={
            editing.kind === "edit" && isNotFound(update.error)
              ? "This agent was deleted meanwhile, so these changes cannot be saved. Close this form."
              : null
          }
          onSubmit={save}
          onClose={close}
        />
      ) : null}
      {editing?.kind === "delete" ? (
        <ConfirmDialog
          title={`Delete ${editing.agent.name}?`}
          body="The agent and its settings are removed for everyone in this project. This cannot be undone."
          confirmLabel="Delete agent"
          pending={remove.isPending}
          error={remove.error ? errorMessage(remove.error) : null}
          onConfirm={() => remove.mutate({ projectId, id: editing.agent.id }, { onSuccess: close })}
          onClose={close}
        />
      ) : null}
      {editing?.kind === "kill" ? (
        <KillSwitchDialog projectId={projectId} projectName={current.projectName} onClose={close} />
      ) : null}
    </section>
  );
}
