"use client";
import {
  AgentSortSchema,
  AgentStatusSchema,
  hasRole,
  type Agent,
  type AgentSort,
  type AgentStatus,
} from "@tower/shared";
import { useEffect, useMemo, useState } from "react";
import { useProject } from "~/features/shell/project";
import { errorMessage } from "~/lib/errors";
import { AgentFormDialog, ConfirmDialog, type AgentFields } from "./agent-form";
import { useAgentList, useCreateAgent, useDeleteAgent, useUpdateAgent } from "./hooks";
import type { ListFilters } from "./live-cache";

const SORT_LABELS: Record<AgentSort, string> = {
  name: "Name",
  updatedAt: "Last updated",
  createdAt: "Created",
  lastActiveAt: "Last active",
  status: "Status",
  role: "Role",
};

function useDebounced<T>(value: T, ms = 250): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

function relativeTime(at: number): string {
  const seconds = Math.round((Date.now() - at) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(at).toLocaleDateString();
}

export function StatusBadge({ status }: { status: AgentStatus }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

type Editing = { kind: "create" } | { kind: "edit"; agent: Agent } | { kind: "delete"; agent: Agent } | null;

export function AgentsPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const canEdit = hasRole(current.role, "operator");
  const canDelete = hasRole(current.role, "admin");

  const [status, setStatus] = useState<AgentStatus | "">("");
  const [roleText, setRoleText] = useState("");
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<AgentSort>("name");
  const [order, setOrder] = useState<"asc" | "desc">("asc");
  const role = useDebounced(roleText.trim());
  const q = useDebounced(search.trim());

  const filters = useMemo<ListFilters>(
    () => ({ status: status || undefined, role: role || undefined, q: q || undefined, sort, order }),
    [status, role, q, sort, order],
  );
  const { query, agents } = useAgentList(projectId, filters);
  const create = useCreateAgent(projectId, filters);
  const update = useUpdateAgent(projectId, filters);
  const remove = useDeleteAgent(projectId, filters);
  const [editing, setEditing] = useState<Editing>(null);
  const filtered = Boolean(status || role || q);

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

  return (
    <section className="page">
      <div className="page-head">
        <h1>Agents</h1>
        {canEdit ? (
          <button type="button" className="primary" onClick={() => setEditing({ kind: "create" })}>
            New agent
          </button>
        ) : null}
      </div>

      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder="Name, role, description, tag"
          />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as AgentStatus | "")}>
            <option value="">All statuses</option>
            {AgentStatusSchema.options.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Role filter
          <input value={roleText} onChange={(e) => setRoleText(e.target.value)} placeholder="Any role" />
        </label>
        <label>
          Sort by
          <select value={sort} onChange={(e) => setSort(e.target.value as AgentSort)}>
            {AgentSortSchema.options.map((s) => (
              <option key={s} value={s}>
                {SORT_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Order
          <select value={order} onChange={(e) => setOrder(e.target.value as "asc" | "desc")}>
            <option value="asc">Ascending</option>
            <option value="desc">Descending</option>
          </select>
        </label>
      </form>

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
                Create one here, or register one from code with a project API key (Settings → API keys).
              </p>
            </>
          )}
        </div>
      ) : (
        <div className="table-wrap">
          <table className="agents">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Category</th>
                <th scope="col">Status</th>
                <th scope="col">Tags</th>
                <th scope="col">Updated</th>
                {canEdit || canDelete ? (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {agents.map((agent) => (
                <tr key={agent.id} data-agent={agent.name}>
                  <th scope="row" data-label="Name">
                    <span className="agent-name">{agent.name}</span>
                    {agent.description ? <span className="agent-desc">{agent.description}</span> : null}
                  </th>
                  <td data-label="Role">{agent.role}</td>
                  <td data-label="Category">{agent.category}</td>
                  <td data-label="Status">
                    <StatusBadge status={agent.status} />
                  </td>
                  <td data-label="Tags">
                    <ul className="tags" aria-label="Tags">
                      {agent.tags.map((tag) => (
                        <li key={tag} className="tag">
                          {tag}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td data-label="Updated">
                    <time
                      dateTime={new Date(agent.updatedAt).toISOString()}
                      title={new Date(agent.updatedAt).toLocaleString()}
                    >
                      {relativeTime(agent.updatedAt)}
                    </time>
                  </td>
                  {canEdit || canDelete ? (
                    <td className="row-actions">
                      {canEdit ? (
                        <button
                          type="button"
                          aria-label={`Edit ${agent.name}`}
                          onClick={() => setEditing({ kind: "edit", agent })}
                        >
                          Edit
                        </button>
                      ) : null}
                      {canDelete ? (
                        <button
                          type="button"
                          className="danger-text"
                          aria-label={`Delete ${agent.name}`}
                          onClick={() => setEditing({ kind: "delete", agent })}
                        >
                          Delete
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
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
          error={editing.kind === "edit" ? update.error : create.error}
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
    </section>
  );
}
