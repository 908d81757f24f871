import { apiKeys, memberships, sessions } from "@tower/db";
import { hasRole, type Role } from "@tower/shared";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Caller, Deps } from "../context";
import { DomainError } from "../errors";
import { prepared, slot } from "./prepared";

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
  if (caller.kind === "anonymous") throw new DomainError("UNAUTHORIZED", "Sign in or pass an API key");
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
 * Whether the session or key a caller was resolved from still holds. A WebSocket resolves its
 * caller once, when it connects, so a long-lived stream checks again before it starts.
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
        .where(and(eq(apiKeys.id, slot("id")), isNull(apiKeys.revokedAt)))
        .prepare(),
    );
    return live.get({ id: caller.keyId }) !== undefined;
  }
  return false;
}
