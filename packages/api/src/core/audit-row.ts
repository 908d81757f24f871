import type { Decision } from "@tower/shared";

// What a new audit row says, before the chain gives it its time, place and hash (audit-chain.ts).

export interface AuditEntry {
  operation: string;
  target?: string;
  decision?: Decision | null;
  agentId?: string | null;
  sessionId?: string | null;
  detail?: Record<string, unknown>;
  /** The reporter's idempotency key, for events agents report. */
  clientId?: string | null;
}

/** An entry with what only agents' reports carry: their own time and per-session sequence number. */
export interface AuditRowInput extends AuditEntry {
  reportedAt?: number | null;
  seq?: number | null;
}
