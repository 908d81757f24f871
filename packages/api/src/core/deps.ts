import type { TowerDb } from "@tower/db";
import type { ApiKeyScope } from "@tower/shared";
import type { Logger } from "pino";
import type { AuditDeps } from "./audit-ports";
import type { Clock } from "./clock";
import type { ConnectionState } from "./connection-state";
import type { EventBus } from "./event-bus";
import type {
  HeartbeatPolicy,
  IngestThrottle,
  IngestWriter,
  LoginThrottle,
  PushSender,
  SuiteConfiguration,
  WorkPolicy,
} from "./ports";

/** Side effects created once by the app (server main, or a test) and passed to every call. */
export interface Deps {
  db: TowerDb;
  /** What is kept in memory beside `db`'s connection (published changes, live audit feeds). */
  state: ConnectionState;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  loginThrottle: LoginThrottle;
  ingestThrottle: IngestThrottle;
  /** Where reports are stored: a writer thread in the server, in-process in tests. */
  ingestWriter: IngestWriter;
  heartbeat: HeartbeatPolicy;
  /** Leases of the runs agents claim. */
  work: WorkPolicy;
  /** The audit chain's reader (a thread in the server), signing key and heads, verify limits. */
  audit: AuditDeps;
  /** The one-time code the first account must give (printed by the server while no account exists). */
  setupCode: string;
  /** The configured test suites; absent where the app configured none (tests of other domains, bench). */
  suites?: SuiteConfiguration;
  /** Web push to people's devices; absent where the app made none (tests of other domains, bench). */
  push?: PushSender;
}

export type Caller =
  /** `rejectedKey`: an API key was passed but did not authenticate; says why (unknown, revoked, expired). */
  | { kind: "anonymous"; rejectedKey?: string }
  | { kind: "user"; userId: string; sessionId: string }
  /** `expiresAt`: null for a key that never expires; live streams opened with it end then. */
  | {
      kind: "apiKey";
      keyId: string;
      projectId: string;
      scopes: ApiKeyScope[];
      /** With the agent scope: the agents it may act as. */
      agentNames: string[] | null;
      /** What the key's holder and Settings see of it (`tower_ab12cd`), recorded with what it reports. */
      prefix: string;
      expiresAt: number | null;
    };

/** How the transport sets the session cookie; over WebSocket there is nothing to set. */
export interface SessionCookie {
  set(token: string, expiresAt: number): void;
  clear(): void;
}

export interface Credentials {
  sessionToken?: string | null;
  apiKey?: string | null;
  /**
   * The client's network address as the transport determined it (the socket's peer, or what a
   * trusted proxy forwarded): login throttling counts by it and the audit trail records it.
   */
  clientAddress?: string | null;
  userAgent?: string | null;
}

/** Where a call came from, as far as the transport knows. */
export interface ClientInfo {
  address: string | null;
  userAgent: string | null;
}

export interface Context extends Deps {
  caller: Caller;
  cookie: SessionCookie;
  /**
   * True on a WebSocket, whose caller was resolved once when it connected: every call on it checks
   * again that the session or key has not been revoked since.
   */
  longLived: boolean;
  /** On a WebSocket, its calls started and not yet answered (see `callsInFlight` in trpc.ts). */
  callsInFlight: { count: number } | null;
  /** On a WebSocket, its subscriptions now open (see `subscriptionsPerSocket` in trpc.ts). */
  subscriptions: { count: number } | null;
  /** On a WebSocket, the send side its live streams pace their replays by. */
  outbox: Outbox | null;
  client: ClientInfo;
}

/**
 * What a transport offers live streams about its socket: a stream replaying a backlog sends its
 * next page only when the client has read most of the last, so no backlog piles up unsent.
 */
export interface Outbox {
  /** Resolves once the client has read most of what was sent to it, or the socket has closed. */
  drained(): Promise<void>;
}

/** The id of the session or API key behind a call, so live streams can end when it is revoked. */
export function credentialIdOf(caller: Caller): string | null {
  if (caller.kind === "user") return caller.sessionId;
  if (caller.kind === "apiKey") return caller.keyId;
  return null;
}
