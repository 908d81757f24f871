import { z } from "zod";
import { AgentRegisterInputSchema } from "./agent";
import { IdSchema, NameSchema, PageLimitSchema } from "./common";
import { type Agent } from "./domain/agent";
import { SESSION_END_REASONS, type SessionEndReason } from "./domain/session";

export const SessionEndReasonSchema = z.enum(SESSION_END_REASONS);

export interface AgentSession {
  id: string;
  projectId: string;
  agentId: string;
  startedAt: number;
  lastHeartbeatAt: number;
  endedAt: number | null;
  endReason: SessionEndReason | null;
  tokens: number;
  costUsd: number;
  runs: number;
  successes: number;
}

/** Starts a session for the named agent; with `profile`, registers (creates or updates) it first. */
export const SessionStartInputSchema = z.object({
  name: NameSchema,
  profile: AgentRegisterInputSchema.omit({ name: true }).optional(),
});
export type SessionStartInput = z.infer<typeof SessionStartInputSchema>;

export const SessionHeartbeatInputSchema = z.object({
  sessionId: IdSchema,
  /** What the agent is doing now; omitted means unchanged. */
  status: z.enum(["idle", "busy"]).optional(),
});

export const SessionEndInputSchema = z.object({
  sessionId: IdSchema,
  reason: z.enum(["stopped", "process_exit"]).default("stopped"),
});

/** One finished task: feeds the session totals and the agent's success rate and average time. */
export const SessionReportInputSchema = z.object({
  sessionId: IdSchema,
  /** Idempotency key: a retried report with the same id counts once. */
  id: z.string().min(8).max(64).optional(),
  success: z.boolean(),
  executionMs: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3_600_000),
  tokens: z.number().int().min(0).max(1e12).default(0),
  costUsd: z.number().min(0).max(1e9).default(0),
});
export type SessionReportInput = z.input<typeof SessionReportInputSchema>;
export type SessionReport = z.output<typeof SessionReportInputSchema>;

export const SessionListInputSchema = z.object({
  agentId: IdSchema,
  limit: PageLimitSchema,
  cursor: z.string().max(1_000).nullish(),
});

export interface SessionStarted {
  session: AgentSession;
  /** The agent as the session started it. */
  agent: Agent;
  /** Follow the agent's changes from here (`agent.onChange`) to miss none, e.g. being disabled. */
  lastEventId: string;
  /** The SDK heartbeats this often… */
  heartbeatIntervalMs: number;
  /** …and the server turns the agent offline after this long without one. */
  heartbeatTimeoutMs: number;
  /**
   * Parts of the profile sent that were not applied, and why: an agent key cannot change its
   * agent's role, allowed tools, path scopes or budgets (an operator can).
   */
  warnings: string[];
}
