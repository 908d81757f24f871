import type { TowerDb } from "@tower/db";
import type { ApiKeyScope } from "@tower/shared";
import type { Logger } from "pino";
import type { Clock } from "./clock";
import type { EventBus } from "./event-bus";
import type { IngestWriter } from "./services/ingest-service";
import type { IngestThrottle } from "./services/ingest-throttle";
import type { LoginThrottle } from "./services/login-throttle";
import type { HeartbeatPolicy } from "./services/session-service";
import { resolveApiKey } from "./services/api-key-service";
import { resolveSession } from "./services/auth-service";

/** Side effects created once by the app (server main, or a test) and passed to every call. */
export interface Deps {
  db: TowerDb;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  loginThrottle: LoginThrottle;
  ingestThrottle: IngestThrottle;
  /** Where reports are stored: a writer thread in the server, in-process in tests. */
  ingestWriter: IngestWriter;
  heartbeat: HeartbeatPolicy;
}

export type Caller =
  /** `rejectedKey`: an API key was passed but did not authenticate; says why (unknown, revoked, expired). */
  | { kind: "anonymous"; rejectedKey?: string }
  | { kind: "user"; userId: string; sessionId: string }
  /** `expiresAt`: null for a key that never expires; live streams opened with it end then. */
  | { kind: "apiKey"; keyId: string; projectId: string; scopes: ApiKeyScope[]; expiresAt: number | null };

/** How the transport sets the session cookie; over WebSocket there is nothing to set. */
export interface SessionCookie {
  set(token: string, expiresAt: number): void;
  clear(): void;
}

export interface Credentials {
  sessionToken?: string | null;
  apiKey?: string | null;
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
}

/** The id of the session or API key behind a call, so live streams can end when it is revoked. */
export function credentialIdOf(caller: Caller): string | null {
  if (caller.kind === "user") return caller.sessionId;
  if (caller.kind === "apiKey") return caller.keyId;
  return null;
}

export const noCookie: SessionCookie = { set: () => {}, clear: () => {} };

/** Resolves who is calling from the raw credentials the transport found. */
export function createContext(
  deps: Deps,
  credentials: Credentials,
  cookie: SessionCookie = noCookie,
  { longLived = false }: { longLived?: boolean } = {},
): Context {
  const callsInFlight = longLived ? { count: 0 } : null;
  return { ...deps, caller: resolveCaller(deps, credentials), cookie, longLived, callsInFlight };
}

function resolveCaller(deps: Deps, { sessionToken, apiKey }: Credentials): Caller {
  let rejectedKey: string | undefined;
  if (apiKey) {
    const key = resolveApiKey(deps, apiKey);
    if (key.ok) {
      return { kind: "apiKey", keyId: key.id, projectId: key.projectId, scopes: key.scopes, expiresAt: key.expiresAt };
    }
    rejectedKey = key.reason;
  }
  if (sessionToken) {
    const session = resolveSession(deps, sessionToken);
    if (session) return { kind: "user", userId: session.userId, sessionId: session.id };
  }
  // Remembered so that a call needing a caller says what is wrong with the key, not "sign in".
  return rejectedKey ? { kind: "anonymous", rejectedKey } : { kind: "anonymous" };
}
