import { z } from "zod";
import { MetadataSchema, NameSchema } from "./common";
import { DECISIONS } from "./domain/audit";
import { INGEST_MAX_ITEMS, METRIC_TYPES, REPORT_SEQ_MAX, type BUDGET_THRESHOLDS } from "./domain/ingest";

const reportBase = {
  /** Client-generated idempotency key: a retried report with the same id is stored once. */
  id: z.string().min(8, "id must be at least 8 characters").max(64),
  /**
   * When it happened by the agent's clock, epoch milliseconds (the SDK stamps it when the report is
   * made); defaults to the time Tower received it. The audit trail's own order and time are Tower's
   * (the order of commit); this is kept beside them.
   */
  at: z.number().int().min(0).max(8.64e15).optional(),
  /** The reporting agent's name. */
  agent: NameSchema,
  sessionId: z.string().max(64).optional(),
  /**
   * The report's place in its session, 1, 2, 3… in the order the agent made them (events and
   * metrics share one count), so a session can be shown in the agent's order even when batches
   * were committed out of order. Optional: older clients and reports without a session have none.
   */
  seq: z.number().int().min(1).max(REPORT_SEQ_MAX).optional(),
};

export const ReportEventSchema = z.object({
  ...reportBase,
  kind: z.literal("event"),
  /** `tool_use`, `api_call`, `file_access`, `agent_spawn`, or a custom type. */
  operation: z.string().regex(/^[a-z][a-z0-9_.:-]{0,63}$/, "Use lower-case letters, digits and _ . : - (at most 64)"),
  /** Tool name, path or URL. */
  target: z.string().max(2_000).default(""),
  decision: z.enum(DECISIONS).default("allowed"),
  detail: MetadataSchema.default({}),
});
export type ReportEvent = z.input<typeof ReportEventSchema>;

export const ReportMetricSchema = z.object({
  ...reportBase,
  kind: z.literal("metric"),
  type: z.enum(METRIC_TYPES),
  executionMs: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .optional(),
  success: z.boolean().optional(),
  tokensIn: z.number().int().min(0).max(1e10).default(0),
  tokensOut: z.number().int().min(0).max(1e10).default(0),
  model: z.string().trim().max(200).optional(),
  /** A reported cost always wins over the price table. */
  costUsd: z.number().min(0).max(1e6).optional(),
  quality: z.number().min(0).max(1).optional(),
});
export type ReportMetric = z.input<typeof ReportMetricSchema>;

export const ReportItemSchema = z.discriminatedUnion("kind", [ReportEventSchema, ReportMetricSchema]);
export type ReportItem = z.input<typeof ReportItemSchema>;

/** Items are validated one by one, so one bad item never costs the rest of the batch. */
export const IngestInputSchema = z.object({
  items: z
    .array(z.unknown())
    .min(1, "Send at least one item")
    .max(INGEST_MAX_ITEMS, `At most ${INGEST_MAX_ITEMS} items per batch`),
});

export type IngestItemStatus = "stored" | "duplicate" | "rejected";

export interface IngestItemResult {
  /** The item's id, when it had a readable one. */
  id: string | null;
  status: IngestItemStatus;
  reason?: string;
}

export interface IngestResult {
  results: IngestItemResult[];
  stored: number;
  duplicates: number;
  rejected: number;
  /** Agents of this batch that are at or over a budget; their reports are still stored. */
  overBudget: string[];
}

export type BudgetKind = "tokens_per_session" | "cost_per_day";

export interface BudgetAlert {
  id: number;
  projectId: string;
  agentId: string;
  agentName: string;
  budget: BudgetKind;
  period: string;
  threshold: (typeof BUDGET_THRESHOLDS)[number];
  used: number;
  limit: number;
  at: number;
}

/**
 * The number of items in an `ingest.report` body, sent beside it (the SDK does): with it the server
 * hands the body on unparsed, to be parsed and checked on the ingest writer's thread instead of the
 * event loop that answers everything else. Without it, or malformed, the body is parsed as usual.
 */
export const REPORT_ITEMS_HEADER = "x-tower-report-items";
