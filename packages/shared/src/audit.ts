import { z } from "zod";
import { PageLimitSchema, ShortTextSchema } from "./common";
import { ACTOR_TYPES, DECISIONS, type ActorType, type Decision } from "./domain/audit";

/** Who did something: a person, an API key, an agent, or Tower itself. */
export interface Actor {
  type: ActorType;
  id: string | null;
  name: string;
}

/**
 * An audit row as lists and live tails carry it: what happened, by whom, to what. Its links in the
 * hash chain are left out (they are half of a row's bytes, and a live tail sends rows to every
 * dashboard); `audit.get` answers one row with them.
 */
export interface AuditEvent {
  id: number;
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
}

/** One audit row with its place in the project's hash chain. */
export interface AuditRecord extends AuditEvent {
  prevHash: string;
  hash: string;
}

export const AuditGetInputSchema = z.object({ id: z.number().int().positive() });

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
