import type { Agent } from "./domain/agent";
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
  /** Not stored in the change feed: a wake-up for audit tails, which read the new rows themselves. */
  | Envelope<"audit", "appended", { id: string }>;

export type ChangeEntity = ChangeEvent["entity"];
export type ChangeOf<E extends ChangeEntity> = Extract<ChangeEvent, { entity: E }>;
