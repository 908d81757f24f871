import { sessions, type DbOrTx } from "@tower/db";
import type { User, UserSession } from "@tower/shared";
import { and, desc, eq, gt, isNull, ne } from "drizzle-orm";
import { lastSeen, SESSION_IDLE_MS, SESSION_TTL_MS } from "../core/credentials";
import type { ClientInfo, Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { newId, randomToken, sha256 } from "../core/tokens";

export interface NewSession {
  token: string;
  /** When the cookie should expire: the absolute end (the idle end is enforced by the server). */
  expiresAt: number;
  user: User;
  sessionId: string;
}

/** Opens a session for a user who just proved who they are; the token goes in the cookie only. */
export function startUserSession({ db, clock }: Deps, user: User, client: ClientInfo, tx: DbOrTx = db): NewSession {
  const token = randomToken();
  const now = clock.now();
  const expiresAt = now + SESSION_TTL_MS;
  const sessionId = newId();
  tx.insert(sessions)
    .values({
      id: sessionId,
      tokenHash: sha256(token),
      userId: user.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      clientAddress: client.address,
      userAgent: client.userAgent?.slice(0, 300) ?? null,
    })
    .run();
  return { token, expiresAt, user, sessionId };
}

/** The user's live sessions, most recently used first. */
export function listUserSessions({ db, clock }: Deps, userId: string, currentSessionId: string): UserSession[] {
  const now = clock.now();
  const rows = db
    .select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      lastSeenAt: lastSeen,
      expiresAt: sessions.expiresAt,
      clientAddress: sessions.clientAddress,
      userAgent: sessions.userAgent,
    })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
        gt(lastSeen, now - SESSION_IDLE_MS),
      ),
    )
    .orderBy(desc(lastSeen), desc(sessions.id))
    .all();
  return rows.map((row) => ({
    ...row,
    idleExpiresAt: Math.min(row.expiresAt, row.lastSeenAt + SESSION_IDLE_MS),
    current: row.id === currentSessionId,
  }));
}

/** Ends one of the user's own sessions; another user's session is "not found", never revealed. */
export function revokeUserSession(tx: DbOrTx, userId: string, sessionId: string, now: number): void {
  const result = tx
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .run();
  if (result.changes === 0) throw new DomainError("NOT_FOUND", "Session not found or already ended");
}

/**
 * Ends every open session of a user (but `except`, the one making the call); returns their ids, for
 * the caller to announce on the bus once its transaction has committed.
 */
export function revokeAllUserSessions(tx: DbOrTx, userId: string, now: number, except?: string): string[] {
  const open = and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now));
  const where = except ? and(open, ne(sessions.id, except)) : open;
  return tx
    .update(sessions)
    .set({ revokedAt: now })
    .where(where)
    .returning({ id: sessions.id })
    .all()
    .map((row) => row.id);
}

/** Live streams opened with these sessions end now. */
export function announceRevokedSessions({ bus }: Pick<Deps, "bus">, sessionIds: readonly string[]): void {
  for (const id of sessionIds) bus.publishRevocation(id);
}
