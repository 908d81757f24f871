import type { Agent } from "./agent";

/** A committed change, as stored in the change feed and pushed to subscribers. */
export type ChangeEvent =
  | {
      id: string;
      projectId: string;
      entity: "agent";
      op: "created" | "updated";
      at: number;
      data: Agent;
    }
  | {
      id: string;
      projectId: string;
      entity: "agent";
      op: "deleted";
      at: number;
      data: Pick<Agent, "id" | "name">;
    };

export type ChangeEntity = ChangeEvent["entity"];
