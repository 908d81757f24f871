import { apiKeys, memberships, sessions } from "@tower/db";
import { hasRole, type Role } from "@tower/shared";
import { and, eq, gt, isNull, or } from "drizzle-orm";
import { credentialIdOf, type Caller, type Deps } from "../context";
import { DomainError } from "../errors";
import { apiKeyRejectionById } from "./api-key-service";
import { prepared, slot } from "./prepared";

/**
 * An open stream re-reads the clock at least this often before its key's expiry: timers cannot
 * wait longer than 2^31 ms, and the wall clock may be set forward meanwhile.
 */
const EXPIRY_RECHECK_MS = 3_600_000;

export interface ProjectAccess {
  projectId: string;
  role: Role;
}

/**
 * Decides whether the caller may act in a project with at least `minimum` role. An API key is
 * bound to its own project: `write` acts as an operator, `read` as a viewer.
 */
export function resolveProjectAccess(
  { db }: Deps,
  caller: Caller,
  requestedProjectId: string | undefined,
  minimum: Role,
): ProjectAccess {
  let access: ProjectAccess;
  if (caller.kind === "anonymous") {
    throw new DomainError("UNAUTHORIZED", caller.rejectedKey ?? "Sign in or pass an API key");
  }
  if (caller.kind === "apiKey") {
    if (requestedProjectId && requestedProjectId !== caller.projectId) {
      throw new DomainError("FORBIDDEN", "This API key belongs to another project");
    }
    access = {
      projectId: caller.projectId,
      role: caller.scopes.includes("write") ? "operator" : "viewer",
    };
  } else {
    if (!requestedProjectId) throw new DomainError("BAD_REQUEST", "projectId: Choose a project");
    const membership = prepared(db, "membership.role", () =>
      db
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.projectId, slot("projectId")), eq(memberships.userId, slot("userId"))))
        .prepare(),
    ).get({ projectId: requestedProjectId, userId: caller.userId });
    if (!membership) throw new DomainError("FORBIDDEN", "You are not a member of this project");
    access = { projectId: requestedProjectId, role: membership.role };
  }
  if (!hasRole(access.role, minimum)) {
    throw new DomainError("FORBIDDEN", `This needs the ${minimum} role or higher; you are ${access.role}`);
  }
  return access;
}

/**
 * Whether the session or key a caller was resolved from still holds (not revoked, not expired). A
 * WebSocket resolves its caller once, when it connects, so a long-lived stream checks again before
 * it starts.
 */
export function isCallerStillValid({ db, clock }: Deps, caller: Caller): boolean {
  if (caller.kind === "user") {
    const live = prepared(db, "session.live", () =>
      db
        .select({ id: sessions.id })
        .from(sessions)
        .where(and(eq(sessions.id, slot("id")), isNull(sessions.revokedAt), gt(sessions.expiresAt, slot("now"))))
        .prepare(),
    );
    return live.get({ id: caller.sessionId, now: clock.now() }) !== undefined;
  }
  if (caller.kind === "apiKey") {
    const live = prepared(db, "apiKey.live", () =>
      db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(
          and(
            eq(apiKeys.id, slot("id")),
            isNull(apiKeys.revokedAt),
            or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, slot("now"))),
          ),
        )
        .prepare(),
    );
    return live.get({ id: caller.keyId, now: clock.now() }) !== undefined;
  }
  return false;
}

/** What to tell a long-lived caller whose session or key no longer holds. */
export function invalidCallerMessage(deps: Deps, caller: Caller): string {
  if (caller.kind === "apiKey") {
    return apiKeyRejectionById(deps, caller.keyId) ?? "This API key no longer holds; reconnect with a valid key";
  }
  return "This session was revoked or has expired; sign in again";
}

/**
 * Calls `onEnd` once, when the session or key behind `caller` is revoked or the key expires, so
 * that a live stream opened with it ends; returns the function that stops watching.
 */
export function watchCaller(deps: Deps, caller: Caller, onEnd: () => void): () => void {
  const credentialId = credentialIdOf(caller);
  const expiresAt = caller.kind === "apiKey" ? caller.expiresAt : null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  const stop = () => {
    done = true;
    stopRevocations();
    clearTimeout(timer);
  };
  const end = () => {
    if (done) return;
    stop();
    onEnd();
  };
  const stopRevocations = deps.bus.subscribeRevocations((id) => {
    if (id === credentialId) end();
  });
  // Expiry is a moment, not an event: a timer wakes the stream then, judged by the injected clock.
  const checkExpiry = () => {
    const left = expiresAt! - deps.clock.now();
    if (left <= 0) return end();
    timer = setTimeout(checkExpiry, Math.min(left, EXPIRY_RECHECK_MS));
    timer.unref?.();
  };
  if (expiresAt !== null) checkExpiry();
  return stop;
}
