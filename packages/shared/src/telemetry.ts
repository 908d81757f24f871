import { z } from "zod";
import { AGENT_ORDER_NEEDS_SESSION, agentOrderHasSession, ListOrderSchema } from "./audit";
import { IdSchema, PageLimitSchema } from "./common";
import { type DECISIONS } from "./domain/audit";
import { METRIC_TYPES } from "./domain/ingest";
import { BUCKETS } from "./domain/telemetry";

export const BucketSchema = z.enum(BUCKETS);

const RangeSchema = z.object({
  from: z.number().int().min(0),
  to: z.number().int().min(0),
});

export const MetricsAggregateInputSchema = RangeSchema.extend({
  bucket: BucketSchema,
  agentId: IdSchema.optional(),
  model: z.string().max(200).optional(),
  /** Split each bucket by agent or by model. */
  groupBy: z.enum(["none", "agent", "model"]).default("none"),
}).refine((input) => input.to > input.from, { message: "to must be after from", path: ["to"] });

export interface MetricsBucket {
  start: number;
  /** The agent id or model name when grouped, else "". */
  group: string;
  count: number;
  successes: number;
  failures: number;
  successRate: number | null;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  events: number;
  avgExecutionMs: number | null;
  p50ExecutionMs: number | null;
  p95ExecutionMs: number | null;
}

export const MetricsListInputSchema = z
  .object({
    agentId: IdSchema.optional(),
    sessionId: IdSchema.optional(),
    type: z.enum(METRIC_TYPES).optional(),
    model: z.string().max(200).optional(),
    from: z.number().int().min(0).optional(),
    to: z.number().int().min(0).optional(),
    /** `agent`: one session in the order its agent made the reports (`at`, then `seq`). */
    order: ListOrderSchema,
    limit: PageLimitSchema,
    /** Keyset: the id of the last row of the previous page (newest first, in the list's order). */
    cursor: z.number().int().positive().nullish(),
  })
  .refine(agentOrderHasSession, AGENT_ORDER_NEEDS_SESSION);

export interface MetricRecord {
  id: number;
  agentId: string;
  sessionId: string | null;
  type: string;
  executionMs: number | null;
  success: boolean | null;
  tokensIn: number;
  tokensOut: number;
  model: string | null;
  costUsd: number;
  costSource: string;
  quality: number | null;
  /** When it happened by the agent's clock (the time Tower received it when the report gave none). */
  at: number;
  /** Its place in its session, in the order the agent made its reports; null when it had none. */
  seq: number | null;
}

export interface FleetOverview {
  /** Since midnight UTC. */
  today: { costUsd: number; tokens: number; runs: number; successRate: number | null };
  activeAgents: number;
  totalAgents: number;
  /** Events and metrics per minute over the last five minutes. */
  eventsPerMinute: number;
  overBudgetAgents: number;
}

export const AuditStatsInputSchema = RangeSchema.extend({ bucket: BucketSchema.default("hour") });

export interface AuditStats {
  byOperation: { operation: string; count: number }[];
  byDecision: { decision: (typeof DECISIONS)[number] | "none"; count: number }[];
  byAgent: { agentId: string; agentName: string; count: number }[];
  byTime: { start: number; count: number }[];
}

export const AlertListInputSchema = z.object({ limit: PageLimitSchema, agentId: IdSchema.optional() });
