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
  /**
   * An agent's report only: when it happened by the agent's clock, as it said (`at` is Tower's time
   * of commit); null for Tower's own rows, and for reports that gave no time.
   */
  reportedAt: number | null;
  /** An agent's report only: its place in its session, in the order the agent made its reports. */
  seq: number | null;
}

/** One audit row with its place in the project's hash chain. */
export interface AuditRecord extends AuditEvent {
  prevHash: string;
  hash: string;
}

export const AuditGetInputSchema = z.object({ id: z.number().int().positive() });

/**
 * How a list is ordered, newest first: `commit`, the order Tower stored the rows in (the audit
 * chain's order); `agent`, one session in the order its agent made the reports (the agent's time,
 * then its per-session sequence number), whatever order their batches were committed in.
 */
export const LIST_ORDERS = ["commit", "agent"] as const;
export type ListOrder = (typeof LIST_ORDERS)[number];
export const ListOrderSchema = z.enum(LIST_ORDERS).default("commit");
/** Lists that take `order`: the agent's order is the order within one session. */
export const agentOrderHasSession = (input: { order: ListOrder; sessionId?: string }) =>
  input.order !== "agent" || input.sessionId !== undefined;
export const AGENT_ORDER_NEEDS_SESSION = {
  message: 'order "agent" lists one session: pass its sessionId',
  path: ["order"],
};

export const AuditListInputSchema = z
  .object({
    operation: ShortTextSchema.optional(),
    actorType: z.enum(ACTOR_TYPES).optional(),
    decision: z.enum(DECISIONS).optional(),
    agentId: z.string().max(64).optional(),
    sessionId: z.string().max(64).optional(),
    from: z.number().int().min(0).optional(),
    to: z.number().int().min(0).optional(),
    order: ListOrderSchema,
    limit: PageLimitSchema,
    /** Keyset: the id of the last row of the previous page (newest first, in the list's order). */
    cursor: z.number().int().positive().nullish(),
  })
  .refine(agentOrderHasSession, AGENT_ORDER_NEEDS_SESSION);
export type AuditListQuery = z.output<typeof AuditListInputSchema>;

/**
 * What can be wrong with a chain: a broken `link` or changed `content` at a row; a chain
 * `rewritten` before a row whose hash was verified or signed earlier; `truncated` (rows missing
 * after a signed head); or a `checkpoint` no signed head accounts for (a forged prune).
 */
export const AUDIT_CHAIN_PROBLEMS = ["link", "content", "rewritten", "truncated", "checkpoint"] as const;
export type AuditChainProblem = (typeof AUDIT_CHAIN_PROBLEMS)[number];

/** A walk of the chain as stored: "intact, N rows", or the first row that does not match. */
export type AuditChainVerdict =
  | { intact: true; rows: number; checkpoint: { throughId: number; prunedRows: number } | null }
  | { intact: false; rows: number; brokenAt: number; reason: string; problem: AuditChainProblem };

export const AuditVerifyInputSchema = z.object({
  /**
   * Re-check every row. Without it, rows verified before are skipped (after checking that the
   * last of them still has the hash it had) and only newer rows are read.
   */
  full: z.boolean().default(false),
});

export type AuditVerifyResult =
  | (Extract<AuditChainVerdict, { intact: true }> & {
      /** Rows read and hashed by this call (all of them when `full`). */
      checked: number;
      full: boolean;
      /** The latest signed head the chain was compared with, if the project has one. */
      signedHead: { throughId: number; at: number } | null;
    })
  | Extract<AuditChainVerdict, { intact: false }>;

/** Where a project's stored chain starts once retention has pruned its old end. */
export const AuditChainStartSchema = z.object({
  throughId: z.number().int().min(0),
  throughHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AuditChainStart = z.infer<typeof AuditChainStartSchema>;

/**
 * A project's chain head as the server signs it (Ed25519, with a key kept outside the database):
 * the last row, its hash, how many rows the chain has had since it began (pruned ones included),
 * where the stored part starts, when, and which key signed it.
 */
export const SignedAuditHeadSchema = z.object({
  projectId: z.string().min(1).max(64),
  throughId: z.number().int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  rows: z.number().int().min(0),
  checkpoint: AuditChainStartSchema.nullable(),
  at: z.number().int().min(0),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  /** Base64 Ed25519 signature over `auditHeadMessage(head)`. */
  signature: z.string().min(1).max(200),
});
export type SignedAuditHead = z.infer<typeof SignedAuditHeadSchema>;
export type AuditHead = Omit<SignedAuditHead, "signature">;

export const AuditHeadsInputSchema = z.object({ limit: z.number().int().min(1).max(100).default(20) });

/** The project's latest signed heads (newest first) and the key that verifies them. */
export interface AuditHeads {
  /** SPKI PEM of the Ed25519 public key. */
  publicKey: string;
  keyId: string;
  heads: SignedAuditHead[];
}

export const AuditExportInputSchema = z.object({
  /** Rows after this id (0: from the start of the stored chain). */
  after: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1_000).default(1_000),
});

/** One page of the project's chain, whole, oldest first, for checking elsewhere. */
export interface AuditExportPage {
  projectId: string;
  /** Where the stored chain starts (its latest retention checkpoint), and rows pruned in all. */
  checkpoint: (AuditChainStart & { prunedRows: number }) | null;
  rows: AuditRecord[];
  /** Pass as `after` for the next page; null on the last one. */
  nextAfter: number | null;
}
