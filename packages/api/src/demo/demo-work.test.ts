import { agents, auditEvents, runs, tasks, workflows } from "@tower/db";
import { readIdentityFolder } from "@tower/shared/node";
import { and, eq, inArray } from "drizzle-orm";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findAgentByName } from "../agents/agent-writes";
import { SYSTEM_ACTOR } from "../core/actor";
import type { Deps } from "../core/deps";
import { createTestDeps } from "../testing";
import { claimRuns } from "../work/run-claim";
import { runTaskNow } from "../work/run-enqueue";
import { deleteTask } from "../work/task-service";
import { startWorkflow } from "../work/workflow-runs";
import { DEMO_FLEET_AGENTS } from "./demo-fleet-key";
import { ensureDemoProject } from "./demo-seed";
import { DEMO_SCHEDULED_TASK, DEMO_TASKS, DEMO_WORKFLOW, ensureDemoWork } from "./demo-work";

const FLEET_DIR = fileURLToPath(new URL("../../../../examples/fleet", import.meta.url));

let env: ReturnType<typeof createTestDeps>;
let deps: Deps;
let projectId: string;

beforeEach(() => {
  env = createTestDeps();
  deps = env.deps;
  projectId = ensureDemoProject(deps, readIdentityFolder(FLEET_DIR)).projectId;
});
afterEach(() => env.close());

const demoTasks = () => deps.db.select().from(tasks).where(eq(tasks.projectId, projectId)).all();
const demoWorkflows = () => deps.db.select().from(workflows).where(eq(workflows.projectId, projectId)).all();
const audited = (operation: string) =>
  deps.db
    .select({ target: auditEvents.target, actor: auditEvents.actorType })
    .from(auditEvents)
    .where(and(eq(auditEvents.projectId, projectId), eq(auditEvents.operation, operation)))
    .all();

/** The roles of the agents examples/demo-fleet runs, by agent name. */
function fleetRoles(): Map<string, string> {
  const rows = deps.db
    .select({ name: agents.name, role: agents.role })
    .from(agents)
    .where(and(eq(agents.projectId, projectId), inArray(agents.name, [...DEMO_FLEET_AGENTS])))
    .all();
  return new Map(rows.map((row) => [row.name, row.role]));
}

/** The fleet's agent with `role` claims what it may take now (as its waiting `agent.work` would). */
function claimAs(role: string) {
  const name = [...fleetRoles()].find(([, r]) => r === role)![0];
  return claimRuns(deps, findAgentByName(deps.state, deps.db, projectId, name)!, 30_000, 1)[0]?.row ?? null;
}

describe("the demo project's work", () => {
  it("is created with the project: tasks (one scheduled) and a workflow, by the system", () => {
    expect(demoTasks().map((task) => task.name)).toEqual(expect.arrayContaining(DEMO_TASKS.map((task) => task.name)));
    expect(demoTasks()).toHaveLength(DEMO_TASKS.length);
    const scheduled = demoTasks().find((task) => task.name === DEMO_SCHEDULED_TASK)!;
    expect(scheduled).toMatchObject({ cron: "*/5 * * * *", missedFires: "skip", paused: false });
    expect(scheduled.nextFireAt).toBeGreaterThan(deps.clock.now());
    expect(scheduled.nextFireAt! - deps.clock.now()).toBeLessThanOrEqual(5 * 60_000);
    // Unscheduled tasks wait for an operator (or an app) to run them.
    expect(demoTasks().filter((task) => task.cron !== null)).toHaveLength(1);

    const [workflow, ...others] = demoWorkflows();
    expect(others).toEqual([]);
    expect(workflow!.name).toBe(DEMO_WORKFLOW);
    expect(workflow!.steps.map((step) => step.name)).toEqual(["research", "build", "review"]);

    expect(audited("task.created")).toEqual(DEMO_TASKS.map((task) => ({ target: task.name, actor: "system" })));
    expect(audited("workflow.created")).toEqual([{ target: DEMO_WORKFLOW, actor: "system" }]);
  });

  it("is for the roles of the agents the demo fleet runs", () => {
    const roles = new Set(fleetRoles().values());
    const targets = [
      ...demoTasks().map((task) => ({ kind: task.targetKind, value: task.targetValue })),
      ...demoWorkflows().flatMap((workflow) => workflow.steps.map((step) => step.target)),
    ];
    for (const target of targets) {
      expect(target.kind).toBe("role");
      expect(roles).toContain(target.value);
    }
  });

  it("is created once: later seeds change nothing, even after an operator deleted a demo task", () => {
    const before = { tasks: demoTasks(), workflows: demoWorkflows() };
    expect(ensureDemoProject(deps, readIdentityFolder(FLEET_DIR))).toEqual({ projectId, created: false });
    expect(ensureDemoWork(deps, projectId)).toEqual({ tasks: [], workflows: [] });
    expect(demoTasks()).toEqual(before.tasks);
    expect(demoWorkflows()).toEqual(before.workflows);
    expect(audited("task.created")).toHaveLength(DEMO_TASKS.length);
    expect(audited("workflow.created")).toHaveLength(1);

    const gone = before.tasks.find((task) => task.name === "review-change")!;
    deleteTask(deps, projectId, gone.id, SYSTEM_ACTOR);
    ensureDemoProject(deps, []);
    expect(demoTasks().map((task) => task.name)).not.toContain("review-change");
    expect(demoTasks()).toHaveLength(DEMO_TASKS.length - 1);
    expect(demoWorkflows()).toEqual(before.workflows);
  });

  it("can be claimed by the fleet's agents under the demo policy, the workflow's steps too", () => {
    for (const task of DEMO_TASKS) {
      const run = runTaskNow(deps, projectId, { task: task.name }, SYSTEM_ACTOR);
      const claimed = claimAs(task.target.value!);
      expect(claimed, task.name).toMatchObject({ id: run.id, status: "leased" });
    }
    const started = startWorkflow(deps, projectId, { workflow: DEMO_WORKFLOW, input: {} }, SYSTEM_ACTOR);
    const first = demoWorkflows()[0]!.steps[0]!;
    const claimed = claimAs(first.target.value!);
    expect(claimed).toMatchObject({
      workflowRunId: started.id,
      workflowStep: 0,
      taskName: `${DEMO_WORKFLOW} › research`,
    });
    expect(deps.db.select().from(runs).where(eq(runs.status, "queued")).all()).toEqual([]);
  });
});
