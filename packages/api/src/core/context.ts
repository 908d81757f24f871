import { resolveApiKey, resolveSession } from "./credentials";
import type { Caller, Context, Credentials, Deps, Outbox, SessionCookie } from "./deps";

export const noCookie: SessionCookie = { set: () => {}, clear: () => {} };

/** Resolves who is calling from the raw credentials the transport found. */
export function createContext(
  deps: Deps,
  credentials: Credentials,
  cookie: SessionCookie = noCookie,
  { longLived = false, outbox = null }: { longLived?: boolean; outbox?: Outbox | null } = {},
): Context {
  const callsInFlight = longLived ? { count: 0 } : null;
  const subscriptions = longLived ? { count: 0 } : null;
  const client = { address: credentials.clientAddress ?? null, userAgent: credentials.userAgent ?? null };
  const caller = resolveCaller(deps, credentials);
  return { ...deps, caller, cookie, longLived, callsInFlight, subscriptions, outbox, client };
}

function resolveCaller(deps: Deps, { sessionToken, apiKey }: Credentials): Caller {
  if (apiKey) {
    const key = resolveApiKey(deps, apiKey);
    if (key.ok) {
      const { id: keyId, projectId, scopes, agentNames, prefix, expiresAt } = key;
      return { kind: "apiKey", keyId, projectId, scopes, agentNames, prefix, expiresAt };
    }
    // A call that names a key is that key's, refused, even beside a signed-in session's cookie: a
    // page's revoked read key must not turn into its signed-in person, with all their rights.
    // Remembered so that a call needing a caller says what is wrong with the key, not "sign in".
    return { kind: "anonymous", rejectedKey: key.reason };
  }
  if (sessionToken) {
    const session = resolveSession(deps, sessionToken);
    if (session) return { kind: "user", userId: session.userId, sessionId: session.id };
  }
  return { kind: "anonymous" };
}
