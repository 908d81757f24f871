"use client";
import { hasRole } from "@tower/shared/domain";
import { useState } from "react";
import { useProject } from "~/features/shell";
import { useNow } from "~/lib/approval-feed";
import { lazyComponent } from "~/ui/lazy";
import { Empty, LoadMore, QueryView } from "~/ui/states";
import { WorkHeader } from "~/features/work";
import type { WorkflowDialog } from "./workflow-dialogs";
import { useWorkflowList } from "./workflow-hooks";
import { WorkflowTable, type WorkflowActions } from "./workflow-list";
import { useWorkflowRunList } from "./workflow-run-hooks";
import { WorkflowRunTable } from "./workflow-run-list";
import "./workflows.css";

// The dialogs and their mutations open on a click; their code loads then, not with the page.
const WorkflowDialogs = lazyComponent(() => import("./workflow-dialogs").then((m) => m.WorkflowDialogs));

/** The started workflows, newest first and live (each step's end moves them). */
function StartedWorkflows({ projectId, now }: { projectId: string; now: number }) {
  const { query, runs } = useWorkflowRunList(projectId);
  return (
    <section aria-labelledby="workflow-runs-title">
      <h2 id="workflow-runs-title">Started workflows</h2>
      <QueryView
        query={{ isPending: query.isPending, error: query.error, data: runs }}
        loading="Loading started workflows…"
        failure="Could not load started workflows"
        empty={<Empty>None started yet.</Empty>}
      >
        {(rows) => <WorkflowRunTable runs={rows} now={now} projectId={projectId} />}
      </QueryView>
      <LoadMore query={query} />
    </section>
  );
}

/** Work → Workflows: the project's workflows (define, edit, start) and the started ones, all live. */
export function WorkflowsPage() {
  const { current } = useProject();
  const projectId = current.projectId;
  const canOperate = hasRole(current.role, "operator");
  const { query, workflows } = useWorkflowList(projectId);
  const [dialog, setDialog] = useState<WorkflowDialog | null>(null);
  const now = useNow(30_000);

  const actions: WorkflowActions = {
    canOperate,
    onStart: (workflow) => setDialog({ kind: "start", workflow }),
    onEdit: (workflow) => setDialog({ kind: "edit", workflow }),
    onDelete: (workflow) => setDialog({ kind: "delete", workflow }),
  };

  return (
    <section className="page work workflows">
      <WorkHeader view="workflows" projectId={projectId}>
        {canOperate ? (
          <button type="button" className="primary" onClick={() => setDialog({ kind: "create" })}>
            New workflow
          </button>
        ) : null}
      </WorkHeader>
      <section aria-labelledby="workflows-title">
        <h2 id="workflows-title" className="sr-only">
          Workflows
        </h2>
        <QueryView
          query={{ isPending: query.isPending, error: query.error, data: workflows }}
          loading="Loading workflows…"
          failure="Could not load workflows"
          empty={
            <Empty detail={canOperate ? "Define one with New workflow: steps that run one after another." : undefined}>
              No workflows yet.
            </Empty>
          }
        >
          {(rows) => <WorkflowTable workflows={rows} now={now} actions={actions} />}
        </QueryView>
        <LoadMore query={query} />
      </section>
      <StartedWorkflows projectId={projectId} now={now} />
      {dialog ? <WorkflowDialogs open={dialog} projectId={projectId} onClose={() => setDialog(null)} /> : null}
    </section>
  );
}
