import { agents, apiKeys, invites, teams, type DbOrTx } from "@tower/db";
import { LIMITS } from "@tower/shared";
import { and, count, eq, gt, isNull, or } from "drizzle-orm";
import type { ConnectionState } from "./connection-state";
import { DomainError } from "./errors";
import { prepared, slot } from "./prepared";

/**
 * Per-project caps on what a member or key can create, so one project (or one leaked key) cannot
 * grow the database and every list without end. Each check counts the project's rows through an
 * index that starts with the project id, and runs in the same synchronous call as the insert it
 * guards, so no other write can slip in between.
 */
const capMessage = (cap: number, what: string, hint: string) =>
  `A project can have at most ${cap.toLocaleString("en-US")} ${what}; ${hint}`;
const capReached = (cap: number, what: string, hint: string) =>
  new DomainError("FORBIDDEN", capMessage(cap, what, hint));

/** Why an agent cannot be created in a full project (an import reports it per agent). */
export const AGENT_CAP_MESSAGE = capMessage(LIMITS.projectAgents, "agents", "delete some before adding more");

export function agentCount(state: ConnectionState, tx: DbOrTx, projectId: string): number {
  return prepared(state, "caps.agents", () =>
    tx
      .select({ n: count() })
      .from(agents)
      .where(eq(agents.projectId, slot("projectId")))
      .prepare(),
  ).get({ projectId })!.n;
}

/** Before an agent is created (by hand, by an SDK's first start, or by an import). */
export function assertRoomForAgent(state: ConnectionState, tx: DbOrTx, projectId: string) {
  if (agentCount(state, tx, projectId) >= LIMITS.projectAgents) throw new DomainError("FORBIDDEN", AGENT_CAP_MESSAGE);
}

/** Before an API key is created: revoked and expired keys do not count. */
export function assertRoomForApiKey(db: DbOrTx, projectId: string, now: number) {
  const { n } = db
    .select({ n: count() })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.projectId, projectId),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
      ),
    )
    .get()!;
  if (n >= LIMITS.projectApiKeys) throw capReached(LIMITS.projectApiKeys, "working API keys", "revoke one first");
}

/** Before an invite is created: used, revoked and expired invites do not count. */
export function assertRoomForInvite(db: DbOrTx, projectId: string, now: number) {
  const { n } = db
    .select({ n: count() })
    .from(invites)
    .where(and(eq(invites.projectId, projectId), isNull(invites.acceptedAt), gt(invites.expiresAt, now)))
    .get()!;
  if (n >= LIMITS.projectOpenInvites) {
    throw capReached(LIMITS.projectOpenInvites, "open invites", "revoke one or wait for one to be used or expire");
  }
}

export function assertRoomForTeam(tx: DbOrTx, projectId: string) {
  const { n } = tx.select({ n: count() }).from(teams).where(eq(teams.projectId, projectId)).get()!;
  if (n >= LIMITS.projectTeams) throw capReached(LIMITS.projectTeams, "teams", "delete one first");
}
