import { tasks, workflows } from "@tower/db";
import type { TaskTarget, WorkflowStep } from "@tower/shared";
import { eq } from "drizzle-orm";
import { SYSTEM_ACTOR } from "../core/actor";
import type { Deps } from "../core/deps";
import { createTask, type TaskFields } from "../work/task-service";
import { createWorkflow } from "../work/workflow-service";

// The demo project's work: a few tasks and one workflow for the roles of the agents that
// examples/demo-fleet runs (scout, builder and critic take runs with `agent.work`), so the Work
// pages have something to show and an operator can start more from the dashboard.

/** The roles the demo fleet's working agents have (see demo-seed.ts): scout, builder, critic. */
export const DEMO_WORK_ROLES = { research: "researcher", build: "coder", review: "reviewer" } as const;

const role = (value: string): TaskTarget => ({ kind: "role", value });

/** What every demo task has unless it says otherwise. */
const TASK_DEFAULTS: Omit<TaskFields, "name" | "description" | "target" | "input"> = {
  priority: 0,
  maxAttempts: 3,
  backoffSeconds: 10,
  maxDurationSeconds: 600,
  // Runs nobody takes (the fleet is off) expire instead of waiting forever.
  queuedTtlSeconds: 3_600,
  cron: null,
  timezone: "UTC",
  missedFires: "skip",
  paused: false,
};

/** The scheduled demo task's name: it fires every five minutes. */
export const DEMO_SCHEDULED_TASK = "research-digest";

export const DEMO_TASKS: (Pick<TaskFields, "name" | "description" | "target" | "input"> & Partial<TaskFields>)[] = [
  {
    name: DEMO_SCHEDULED_TASK,
    description: "Skims new sources on the team's topics and writes a short digest (every 5 minutes).",
    target: role(DEMO_WORK_ROLES.research),
    input: { topics: ["SQLite WAL mode", "agent evaluation"] },
    cron: "*/5 * * * *",
    // A demo left off does not pile runs up: missed fires are skipped, and a run nobody took
    // expires before the next fire.
    missedFires: "skip",
    queuedTtlSeconds: 240,
    maxAttempts: 2,
    maxDurationSeconds: 300,
  },
  {
    name: "fix-failing-test",
    description: "Finds why a test fails and commits a fix.",
    target: role(DEMO_WORK_ROLES.build),
    input: { test: "test/ingest.test.ts" },
  },
  {
    name: "review-change",
    description: "Reviews a branch and approves it or asks for changes.",
    target: role(DEMO_WORK_ROLES.review),
    input: { branch: "review/142" },
    maxDurationSeconds: 300,
  },
];

/** The demo workflow's name. */
export const DEMO_WORKFLOW = "ship-a-fix";

const step = (name: string, target: TaskTarget, input: Record<string, unknown> = {}): WorkflowStep => ({
  name,
  target,
  input,
  // A step that fails (the fleet fails a run now and then) is tried again before the workflow stops.
  onFailure: "retry",
  maxAttempts: null,
  maxDurationSeconds: 600,
});

const demoWorkflow = {
  name: DEMO_WORKFLOW,
  description: "Research a bug, fix it, review the fix: each step goes to an agent with the step's role.",
  steps: [
    step("research", role(DEMO_WORK_ROLES.research), { question: "Why does the ingest test fail now and then?" }),
    step("build", role(DEMO_WORK_ROLES.build)),
    step("review", role(DEMO_WORK_ROLES.review)),
  ],
};

/**
 * Gives the demo project its tasks and its workflow once: when it has no work of any kind yet (a
 * new demo project, or one seeded before work existed). Once there is some, later calls change
 * nothing, so a demo task an operator deleted stays deleted. Returns the names created.
 */
export function ensureDemoWork(deps: Deps, projectId: string): { tasks: string[]; workflows: string[] } {
  const created = { tasks: [] as string[], workflows: [] as string[] };
  const hasWork =
    deps.db.select({ id: tasks.id }).from(tasks).where(eq(tasks.projectId, projectId)).limit(1).get() ??
    deps.db.select({ id: workflows.id }).from(workflows).where(eq(workflows.projectId, projectId)).limit(1).get();
  if (hasWork) return created;
  for (const task of DEMO_TASKS) {
    createTask(deps, projectId, { ...TASK_DEFAULTS, ...task }, SYSTEM_ACTOR);
    created.tasks.push(task.name);
  }
  createWorkflow(deps, projectId, demoWorkflow, SYSTEM_ACTOR);
  created.workflows.push(demoWorkflow.name);
  return created;
}
