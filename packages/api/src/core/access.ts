import { apiKeys, memberships } from "@tower/db";
import { hasRole, type Actor, type ApiKeyScope, type Role } from "@tower/shared";
import { and, eq, gt, isNull, or } from "drizzle-orm";
import { apiKeyRejectionById } from "./credentials";
import { sessionDeadline } from "./credentials";
import { credentialIdOf, type Caller, type Deps } from "./deps";
import { DomainError } from "./errors";
import { prepared, slot } from "./prepared";

/**
 * An open stream re-reads the clock at least this often before its key's expiry: timers cannot
 * wait longer than 2^31 ms, and the wall clock may be set forward meanwhile.
 */
const EXPIRY_RECHECK_MS = 3_600_000;

export interface ProjectAccess {
  projectId: string;
  /** The caller's role; null for a key that may only act as its agents. */
  role: Role | null;
  /**
   * The only agents the caller may act as (an agent key reaching an agent operation); null when it
   * may act as any agent of the project, as people and manage keys may.
   */
  actsAs: readonly string[] | null;
}

/** The role a key's scopes give it, if any: `agent` alone gives none. */
function roleOfKey(scopes: readonly ApiKeyScope[]): Role | null {
  if (scopes.includes("admin")) return "admin";
  if (scopes.includes("manage")) return "operator";
  if (scopes.includes("read")) return "viewer";
  return null;
}

/**
 * Decides whether the caller may act in a project with at least `minimum` role. An API key is
 * bound to its own project, with the role its scopes give it (`admin`, `manage` → operator,
 * `read` → viewer). Where `agents` allows, a key with the `agent` scope gets in without that role,
 * as the agents it is bound to only (`actsAs`), which the operation then checks.
 */
export function resolveProjectAccess(
  { db, state }: Deps,
  caller: Caller,
  requestedProjectId: string | undefined,
  minimum: Role,
  { agents = false }: { agents?: boolean } = {},
): ProjectAccess {
  if (caller.kind === "anonymous") {
    throw new DomainError("UNAUTHORIZED", caller.rejectedKey ?? "Sign in or pass an API key");
  }
  if (caller.kind === "apiKey") {
    if (requestedProjectId && requestedProjectId !== caller.projectId) {
      throw new DomainError("FORBIDDEN", "This API key belongs to another project");
    }
    const role = roleOfKey(caller.scopes);
    if (role && hasRole(role, minimum)) return { projectId: caller.projectId, role, actsAs: null };
    if (agents && caller.agentNames) return { projectId: caller.projectId, role, actsAs: caller.agentNames };
    if (caller.agentNames) {
      throw new DomainError("FORBIDDEN", `This agent key can only run its agents (${caller.agentNames.join(", ")})`);
    }
    throw new DomainError("FORBIDDEN", `This needs the ${minimum} role or higher; this key acts as ${role}`);
  }
  if (!requestedProjectId) throw new DomainError("BAD_REQUEST", "Choose a project", { field: "projectId" });
  const membership = prepared(state, "membership.role", () =>
    db
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.projectId, slot("projectId")), eq(memberships.userId, slot("userId"))))
      .prepare(),
  ).get({ projectId: requestedProjectId, userId: caller.userId });
  if (!membership) throw new DomainError("FORBIDDEN", "You are not a member of this project");
  if (!hasRole(membership.role, minimum)) {
    throw new DomainError("FORBIDDEN", `This needs the ${minimum} role or higher; you are ${membership.role}`);
  }
  return { projectId: requestedProjectId, role: membership.role, actsAs: null };
}

/** Refuses an agent key acting as an agent it is not bound to. */
export function assertActsAs(access: ProjectAccess, agentName: string): void {
  if (access.actsAs && !access.actsAs.includes(agentName)) {
    throw new DomainError(
      "FORBIDDEN",
      `This agent key cannot act as "${agentName}"; it runs ${access.actsAs.join(", ")}`,
    );
  }
}

/**
 * Enabling agents again (one, a team, or all after the kill switch) is for people, or for a key an
 * owner gave the admin scope: an agent, or automation that can disable, must not undo a stop.
 */
export function assertMayEnable(access: ProjectAccess, actor: Actor): void {
  if (actor.type !== "user" && access.role !== "admin") {
    throw new DomainError("FORBIDDEN", "Only a person (or a key with the admin scope) can enable agents again");
  }
}

/**
 * Whether the session or key a caller was resolved from still holds (not revoked, not expired, a
 * session not idle too long) and, given a project, a person is still a member of it. A WebSocket
 * resolves its caller once, when it connects, so a long-lived stream checks again before it starts.
 */
export function isCallerStillValid(deps: Deps, caller: Caller, projectId?: string): boolean {
  const { db, clock, state } = deps;
  if (caller.kind === "user") {
    return sessionDeadline(deps, caller.sessionId) !== null && (!projectId || isMember(deps, projectId, caller.userId));
  }
  if (caller.kind === "apiKey") {
    const live = prepared(state, "apiKey.live", () =>
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

function isMember({ db, state }: Deps, projectId: string, userId: string): boolean {
  return (
    prepared(state, "membership.exists", () =>
      db
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.projectId, slot("projectId")), eq(memberships.userId, slot("userId"))))
        .prepare(),
    ).get({ projectId, userId }) !== undefined
  );
}

/**
 * What the bus carries when a person's membership of a project is removed or changed: their live
 * streams of that project check it again (and end once they are no longer a member).
 */
export const membershipRevocationId = (projectId: string, userId: string) => `membership:${projectId}:${userId}`;

/** What to tell a long-lived caller whose session or key no longer holds. */
export function invalidCallerMessage(deps: Deps, caller: Caller): string {
  if (caller.kind === "apiKey") {
    return apiKeyRejectionById(deps, caller.keyId) ?? "This API key no longer holds; reconnect with a valid key";
  }
  return "This session was revoked or has expired; sign in again";
}

/**
 * Calls `onEnd` once, when the session or key behind `caller` is revoked or expires (a session also
 * when it has been idle too long), or, given a project, when the person is removed from it, so that
 * a live stream opened with it ends; returns the function that stops watching.
 */
export function watchCaller(deps: Deps, caller: Caller, onEnd: () => void, projectId?: string): () => void {
  const credentialId = credentialIdOf(caller);
  const membershipId = caller.kind === "user" && projectId ? membershipRevocationId(projectId, caller.userId) : null;
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
    else if (id === membershipId && caller.kind === "user" && !isMember(deps, projectId!, caller.userId)) end();
  });
  // When the caller's credential lapses: a key's fixed expiry, or a session's idle or absolute end,
  // read again at each wake-up (use elsewhere moves the idle end on). A revoked session ends now.
  const deadline = (): number | null => {
    if (caller.kind === "apiKey") return caller.expiresAt;
    if (caller.kind === "user") return sessionDeadline(deps, caller.sessionId) ?? deps.clock.now();
    return null;
  };
  // Expiry is a moment, not an event: a timer wakes the stream then, judged by the injected clock.
  const checkExpiry = () => {
    const at = deadline();
    if (at === null) return;
    const left = at - deps.clock.now();
    if (left <= 0) return end();
    timer = setTimeout(checkExpiry, Math.min(left, EXPIRY_RECHECK_MS));
    timer.unref?.();
  };
  checkExpiry();
  return stop;
}
