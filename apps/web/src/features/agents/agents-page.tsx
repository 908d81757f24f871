"use client";
import { hasRole } from "@tower/shared/domain";
import Link from "next/link";
import { useState } from "react";
import { useBudgetUsage } from "~/features/budgets";
import { useProject } from "~/features/shell";
import { TeamPanel, useTeams } from "~/features/teams";
import { lazyComponent } from "~/ui/lazy";
import { ErrorText } from "~/ui/states";
import type { FleetDialog } from "./fleet-dialogs";
import { ActivateAllButton, SummaryStrip } from "./fleet-controls";
import { FleetFilterForm } from "./fleet-filters";
import { FleetList, LayoutToggle, useFleetLayout } from "./fleet-list";
import type { AgentActions } from "./fleet-views";
import { useAgentList, useAgentSummary, useSetEnabled } from "./hooks";
import { useFleetFilters } from "./use-fleet-filters";

// The dialogs and their mutations open on a click; their code loads then, not with the page.
const FleetDialogs = lazyComponent(() => import("./fleet-dialogs").then((m) => m.FleetDialogs));

/** The fleet: summary, teams, filters (in the URL), the agents as a table or grid, and their dialogs. */
export function AgentsPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const canOperate = hasRole(current.role, "operator");
  const canDelete = hasRole(current.role, "admin");

  const filters = useFleetFilters();
  const [layout, setLayout] = useFleetLayout();
  const list = useAgentList(projectId, filters.filters);
  const summary = useAgentSummary(projectId);
  const budget = useBudgetUsage(projectId);
  const teams = useTeams(projectId);
  const setEnabled = useSetEnabled(projectId, filters.filters);
  const [dialog, setDialog] = useState<FleetDialog | null>(null);

  const actions: AgentActions = {
    canToggle: canOperate,
    canEdit: canOperate,
    canDelete,
    togglingId: setEnabled.isPending ? (setEnabled.variables?.id ?? null) : null,
    onToggle: (agent) => setEnabled.mutate({ projectId, id: agent.id, enabled: agent.status === "disabled" }),
    onEdit: (agent) => setDialog({ kind: "edit", agent }),
    onDelete: (agent) => setDialog({ kind: "delete", agent }),
  };

  // Roles and categories to filter by (the filter keeps the current choice even if its count drops to 0).
  const roles = summary.data?.byRole.map((r) => r.role) ?? [];
  const categories = summary.data?.byCategory.map((c) => c.category) ?? [];

  return (
    <section className="page">
      <div className="page-head">
        <h1>Agents</h1>
        {canOperate ? (
          <div className="page-actions">
            <button type="button" className="primary" onClick={() => setDialog({ kind: "create" })}>
              New agent
            </button>
            <Link className="button" href={`/agents/import?project=${encodeURIComponent(projectId)}`}>
              Import agents
            </Link>
            <ActivateAllButton projectId={projectId} />
            <button type="button" className="danger" onClick={() => setDialog({ kind: "kill" })}>
              Deactivate all
            </button>
          </div>
        ) : null}
      </div>

      <SummaryStrip
        summary={summary.data}
        status={filters.view.status}
        onStatus={(status) => filters.set({ status })}
      />

      <TeamPanel projectId={projectId} role={current.role} teams={teams} knownRoles={roles} />

      <FleetFilterForm filters={filters} roles={roles} categories={categories} teams={teams.data ?? []} />

      <div className="list-head">
        <LayoutToggle layout={layout} onLayout={setLayout} />
        {filters.filtered ? (
          <button type="button" className="link-button" onClick={filters.clear}>
            Clear filters
          </button>
        ) : null}
      </div>

      {setEnabled.error ? <ErrorText error={setEnabled.error} /> : null}

      <FleetList
        list={list}
        layout={layout}
        filtered={filters.filtered}
        projectId={projectId}
        actions={actions}
        spend={budget.byAgent}
      />

      {dialog ? (
        <FleetDialogs
          open={dialog}
          projectId={projectId}
          projectName={current.projectName}
          filters={filters.filters}
          onClose={() => setDialog(null)}
        />
      ) : null}
    </section>
  );
}
