"use client";
import type { Agent } from "@tower/shared";
import { useState } from "react";
import type { Spend } from "~/features/budgets";
import { Empty, LoadMore, QueryView } from "~/ui/states";
import { AgentGrid, AgentTable, type AgentActions } from "./fleet-views";
import type { useAgentList } from "./hooks";

const VIEW_KEY = "tower.fleetView";
export type FleetLayout = "table" | "grid";

/** Table or grid, remembered in localStorage (the page only renders in the browser, after sign-in). */
export function useFleetLayout(): [FleetLayout, (layout: FleetLayout) => void] {
  const [layout, setLayout] = useState<FleetLayout>(() =>
    typeof window !== "undefined" && window.localStorage.getItem(VIEW_KEY) === "grid" ? "grid" : "table",
  );
  return [
    layout,
    (next: FleetLayout) => {
      setLayout(next);
      window.localStorage.setItem(VIEW_KEY, next);
    },
  ];
}

export function LayoutToggle({ layout, onLayout }: { layout: FleetLayout; onLayout(layout: FleetLayout): void }) {
  return (
    <div className="view-toggle" role="group" aria-label="View">
      <button type="button" aria-pressed={layout === "table"} onClick={() => onLayout("table")}>
        Table
      </button>
      <button type="button" aria-pressed={layout === "grid"} onClick={() => onLayout("grid")}>
        Grid
      </button>
    </div>
  );
}

/** The loaded agents as a table or a grid, with their loading, error and empty states and "Load more". */
export function FleetList({
  list: { query, agents },
  layout,
  filtered,
  projectId,
  actions,
  spend,
}: {
  list: ReturnType<typeof useAgentList>;
  layout: FleetLayout;
  filtered: boolean;
  projectId: string;
  actions: AgentActions;
  spend: Map<string, Spend>;
}) {
  return (
    <>
      <QueryView
        query={{ isPending: query.isPending, error: query.error, data: agents }}
        loading="Loading agents…"
        failure="Could not load agents"
        empty={
          filtered ? (
            <Empty>No agents match these filters.</Empty>
          ) : (
            <Empty detail="Create one here, import identity files, or register one from code with a project API key (Settings → API keys).">
              No agents in this project yet.
            </Empty>
          )
        }
      >
        {(loaded: Agent[]) =>
          layout === "grid" ? (
            <AgentGrid agents={loaded} projectId={projectId} actions={actions} spend={spend} />
          ) : (
            <AgentTable agents={loaded} projectId={projectId} actions={actions} spend={spend} />
          )
        }
      </QueryView>
      <LoadMore query={query} />
    </>
  );
}
