import type { Agent } from "./domain/agent";
import type { Approval, PolicyGrant } from "./domain/policy";
import type { SuiteRun } from "./domain/suite";
import type { Run, Task, Workflow, WorkflowRun } from "./domain/work";
import type { BudgetAlert } from "./ingest";
import type { Team } from "./team";

type Envelope<E extends string, Op extends string, D> = {
  id: string;
  projectId: string;
  entity: E;
  op: Op;
  at: number;
  data: D;
};

/** A committed change, as stored in the change feed and pushed to subscribers. */
export type ChangeEvent =
  | Envelope<"agent", "created" | "updated", Agent>
  | Envelope<"agent", "deleted", Pick<Agent, "id" | "name">>
  | Envelope<"team", "created" | "updated", Team>
  | Envelope<"team", "deleted", Pick<Team, "id" | "name">>
  | Envelope<"alert", "created", BudgetAlert>
  | Envelope<"approval", "created" | "updated", Approval>
  | Envelope<"grant", "created" | "updated", PolicyGrant>
  | Envelope<"task", "created" | "updated", Task>
  | Envelope<"task", "deleted", Pick<Task, "id" | "name">>
  /** A run was created or moved (state, holder, progress); its log lines are read with `run.logs`. */
  | Envelope<"run", "created" | "updated", Run>
  | Envelope<"workflow", "created" | "updated", Workflow>
  | Envelope<"workflow", "deleted", Pick<Workflow, "id" | "name">>
  /** A workflow was started, moved to its next step, or ended. */
  | Envelope<"workflowRun", "created" | "updated", WorkflowRun>
  /** A run of a test suite started, moved on (counts, total) or ended; results and output are read by id. */
  | Envelope<"suiteRun", "created" | "updated", SuiteRun>
  /** A new policy version was saved (`id`: the project's id). */
  | Envelope<
      "policy",
      "updated",
      { id: string; version: number; summary: string; actorName: string; createdAt: number }
    >
  /**
   * Settings' lists changed: a member joined, changed role or left, an invite or API key was made
   * or ended, or the project's settings changed. Only what changed is said: Settings reads the list
   * again (with what its reader may see).
   */
  | Envelope<"people", "updated", { id: string; list: PeopleList }>
  /** Not stored in the change feed: a wake-up for audit tails, which read the new rows themselves. */
  | Envelope<"audit", "appended", { id: string }>;

/** The lists of Settings a `people` change is about. */
export type PeopleList = "members" | "invites" | "apiKeys" | "settings";

export type ChangeEntity = ChangeEvent["entity"];
export type ChangeOf<E extends ChangeEntity> = Extract<ChangeEvent, { entity: E }>;
