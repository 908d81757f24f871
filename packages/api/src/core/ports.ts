import type { Actor, ChangeEvent, IngestResult, ReportItemSchema, SuiteConfig } from "@tower/shared";
import type { AuditRowInput } from "./audit-row";
import type { z } from "zod";

// The ports Deps carries besides the database, bus, clock and logger: what a domain implements and
// the app creates, declared here so the floor never imports a domain.

/**
 * Sign-in throttling after rate-limiter-flexible's "login endpoint protection" recipe: consecutive
 * failures are counted per account *and* client address together, so someone typing a victim's
 * email from their own machine locks out only themselves, never the victim elsewhere; and all
 * failures from one address are counted per day, so one address cannot try many accounts.
 *
 * Unlike the recipe, an attempt is counted before its password is checked (parallel guesses cannot
 * slip past a limit while argon2 runs) and handed back when it succeeds, so only failures count.
 */
export interface LoginThrottle {
  /** Counts an attempt, or refuses it with TOO_MANY_REQUESTS and the time to wait. */
  consumeAttempt(email: string, address: string | null): Promise<void>;
  /** The attempt succeeded: the pair's consecutive failures start over, the address gets its point back. */
  recordSuccess(email: string, address: string | null): Promise<void>;
}

/** Reports per second one API key (or session) may send; a runaway agent gets 429s, not the server. */
export interface IngestThrottle {
  consume(key: string, items: number): Promise<void>;
}

export interface HeartbeatPolicy {
  /** How often the SDK heartbeats. */
  intervalMs: number;
  /** Silence after which the agent turns offline and its session ends. */
  timeoutMs: number;
}

export interface WorkPolicy {
  /** How long a claimed run stays the agent's without a heartbeat (the SDK heartbeats 3× within it). */
  leaseMs: number;
  /**
   * How soon an agent kept from all work (a budget spent) looks at the queue again: nothing
   * announces a new day. Default 5 s.
   */
  refusedRecheckMs?: number;
  /**
   * How often an idle agent looks at the queue unprompted, a safety net: queued runs for it, changes
   * of the agent and of the policy wake it at once. Default 60 s (each look is a transaction: a
   * fleet of 1,000 idle agents makes 17 a second).
   */
  idleRecheckMs?: number;
}

export const DEFAULT_WORK_POLICY: WorkPolicy = { leaseMs: 30_000 };

/**
 * The test suites the administrator configured (a file in the data folder, or given by path), and
 * the environment their commands inherit. Only the server's configuration defines them.
 */
export interface SuiteConfiguration {
  /** Each with its working directory made absolute. */
  suites: readonly (SuiteConfig & { cwd: string })[];
  env: Readonly<Record<string, string | undefined>>;
  /** The file they came from (null: none configured), so the dashboard can say where to add one. */
  file: string | null;
}

export type ReportItem = z.output<typeof ReportItemSchema>;

/** A report as checked where it arrived: its parsed value, or why it is refused. */
export type CheckedReport =
  { id: string | null; item: ReportItem; reason?: never } | { id: string | null; item?: never; reason: string };

/** One report as handed to the writer; `now` is the caller's clock, so tests can move time. */
export interface IngestBatch {
  projectId: string;
  items: CheckedReport[];
  /**
   * A body left unparsed by the server (see ingest/raw-reports.ts): the writer parses and checks it
   * on its own thread, and stores its items after `items`.
   */
  raw?: UncheckedReports;
  now: number;
  /** The prefix of the API key the reports came with, recorded with each event. */
  via?: string | null;
  /**
   * Rows Tower itself appends to the chain with the batch (policy decisions, answered before they
   * were stored): appended after the items, whatever the agent's state, each once by its client id.
   */
  rows?: TowerAuditRow[];
  /** Sessions that heartbeated (see `heartbeat`): their time and their agents' `lastActiveAt` move to `now`. */
  heartbeats?: { sessionId: string; agentId: string }[];
}

/** An `ingest.report` body as received, and what to check its items against. */
export interface UncheckedReports {
  /** The JSON body, `{"items":[…]}`. */
  bytes: Uint8Array;
  /** How many items the sender said it holds (a body that holds another number is refused). */
  items: number;
  /** An agent key's agents: a report as any other agent is refused. */
  actsAs: readonly string[] | null;
}

/** A row of Tower's own for the writer to append (see `IngestBatch.rows`). */
export interface TowerAuditRow {
  clientId: string;
  actor: Actor;
  entry: AuditRowInput;
}

/** What a committed batch produced: its answer, the changes to publish, whether the audit trail grew. */
export interface IngestOutcome {
  result: IngestResult;
  events: ChangeEvent[];
  auditAppended: boolean;
}

/**
 * Stores reports. In the server it runs on its own thread and database connection
 * (`startIngestWriterThread`), so ingest commits never hold up queries; tests and in-memory
 * databases use the in-process writer from `createIngestWriter`.
 */
export interface IngestWriter {
  submit(batch: IngestBatch): Promise<IngestOutcome>;
  /** Waits for what was submitted, then stops. */
  close(): Promise<void>;
}

/** A browser's push subscription: where to send, and the keys its payloads are encrypted to. */
export interface PushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface PushSendOptions {
  /** How long the push service keeps the message for an offline device, seconds (0: now or never). */
  ttlSeconds: number;
  /** RFC 8030 Topic: a newer message with the same topic replaces one not yet delivered. */
  topic: string;
  urgency: "very-low" | "low" | "normal" | "high";
  /** Asked just before the request goes out (it may wait in line): false drops it unsent. */
  stillWanted?: () => boolean;
}

/**
 * What the push service answered: `gone` (404 or 410, or not a push service Tower sends to: the
 * subscription is dead), another refusal,
 * a failure to reach it at all, or `skipped` (no longer wanted, or the line was full).
 */
export type PushSendResult =
  | { outcome: "sent"; statusCode: number }
  | { outcome: "gone"; statusCode: number }
  | { outcome: "refused"; statusCode: number; body: string }
  | { outcome: "failed"; error: string }
  | { outcome: "skipped"; why: "unwanted" | "queue full" };

/**
 * Web push (RFC 8030, encrypted per RFC 8291, signed with VAPID per RFC 8292). The app creates it
 * with the server's VAPID keys; it holds a bounded line of requests, so sending never piles up.
 */
export interface PushSender {
  /** The VAPID public key browsers subscribe with (base64url). */
  publicKey: string;
  /** Null when notifications are sent; otherwise why not, in words an administrator acts on. */
  disabledReason: string | null;
  /** Why a subscription to `endpoint` is refused (not a push service it sends to), or null. */
  endpointProblem(endpoint: string): string | null;
  send(target: PushTarget, payload: string, options: PushSendOptions): Promise<PushSendResult>;
  /** Resolves once nothing is in flight or waiting (tests, shutdown). */
  idle(): Promise<void>;
}
