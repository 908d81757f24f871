import { z } from "zod";
import { PageLimitSchema, ShortTextSchema } from "./common";
import { ACTOR_TYPES, DECISIONS, type ActorType, type Decision } from "./domain/audit";

/** Who did something: a person, an API key, an agent, or Tower itself. */
export interface Actor {
  type: ActorType;
  id: string | null;
  name: string;
}

export interface AuditEvent {
  id: number;
  projectId: string;
  at: number;
  actorType: ActorType;
  actorId: string | null;
  actorName: string;
  /** `tool_use`, `api_call`, `file_access`, `agent_spawn`, or a dashboard action such as `fleet.deactivateAll`. */
  operation: string;
  target: string;
  decision: Decision | null;
  agentId: string | null;
  sessionId: string | null;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export const AuditListInputSchema = z.object({
  operation: ShortTextSchema.optional(),
  actorType: z.enum(ACTOR_TYPES).optional(),
  decision: z.enum(DECISIONS).optional(),
  agentId: z.string().max(64).optional(),
  from: z.number().int().min(0).optional(),
  to: z.number().int().min(0).optional(),
  limit: PageLimitSchema,
  /** Keyset: the id of the last row of the previous page (newest first). */
  cursor: z.number().int().positive().nullish(),
});
export type AuditListQuery = z.output<typeof AuditListInputSchema>;

export type AuditVerifyResult =
  | { intact: true; rows: number; checkpoint: { throughId: number; prunedRows: number } | null }
  | { intact: false; rows: number; brokenAt: number; reason: string };
