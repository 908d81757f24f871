import { agentSessions, type DbOrTx } from "@tower/db";
import type { AgentSession, ChangeEvent, SessionReport } from "@tower/shared";
import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { requireAgent, writeAgentTx, type AgentRow } from "../agents/agent-writes";
import { assertActsAs, type ProjectAccess } from "../core/access";
import { publishChanges } from "../core/change-feed";
import { decodeCursor, encodeCursor } from "../core/cursor";
import type { ConnectionState } from "../core/connection-state";
import type { Deps } from "../core/deps";
import { DomainError, notFound } from "../core/errors";
import type { HeartbeatPolicy } from "../core/ports";
import { newId } from "../core/tokens";
import { ingestReports } from "../ingest/ingest-service";

export const DEFAULT_HEARTBEAT: HeartbeatPolicy = { intervalMs: 10_000, timeoutMs: 30_000 };

export function assertEnabled(agent: AgentRow) {
  if (agent.status === "disabled") {
    throw new DomainError("FORBIDDEN", `Agent "${agent.name}" is disabled; an operator must enable it first`);
  }
}

/**
 * The open session and its agent, refusing ended sessions, disabled agents and (for an agent key)
 * another agent's session with a clear reason.
 */
function requireOpenSession(state: ConnectionState, tx: DbOrTx, access: ProjectAccess, sessionId: string) {
  const session = tx
    .select()
    .from(agentSessions)
    .where(and(eq(agentSessions.id, sessionId), eq(agentSessions.projectId, access.projectId)))
    .get();
  if (!session) throw notFound("Session");
  const agent = requireAgent(state, tx, access.projectId, session.agentId);
  assertActsAs(access, agent.name);
  assertEnabled(agent);
  if (session.endedAt !== null) {
    throw new DomainError("CONFLICT", `This session has ended (${session.endReason}); start a new one`);
  }
  return { session, agent };
}

/**
 * A session's sign of life. A plain heartbeat (most of them) is written by the ingest writer with
 * its next group commit: a write transaction here, on the event loop, would wait for the writer's
 * commit in progress (WriteGate), tens of milliseconds during full ingest, stalling every call
 * behind it, and ten agents heartbeating made that several stalls a second. A status change is
 * news for dashboards and is written here at once, with its change event.
 */
export async function heartbeat(deps: Deps, access: ProjectAccess, sessionId: string, status?: "idle" | "busy") {
  const now = deps.clock.now();
  const { agent } = requireOpenSession(deps.state, deps.db, access, sessionId);
  if (status && status !== agent.status) {
    const event = deps.db.transaction((tx) => {
      const { agent: current } = requireOpenSession(deps.state, tx, access, sessionId);
      tx.update(agentSessions).set({ lastHeartbeatAt: now }).where(eq(agentSessions.id, sessionId)).run();
      if (status === current.status) return null;
      return writeAgentTx(deps.state, tx, current, { status, lastActiveAt: now }, now).event;
    });
    publishChanges(deps, [event]);
  } else {
    await deps.ingestWriter.submit({
      projectId: access.projectId,
      items: [],
      heartbeats: [{ sessionId, agentId: agent.id }],
      now,
    });
  }
  return { ok: true as const, status: status ?? "unchanged" };
}

export function endSession(deps: Deps, access: ProjectAccess, sessionId: string, reason: "stopped" | "process_exit") {
  const now = deps.clock.now();
  const event = deps.db.transaction((tx) => {
    const session = tx
      .select()
      .from(agentSessions)
      .where(and(eq(agentSessions.id, sessionId), eq(agentSessions.projectId, access.projectId)))
      .get();
    if (!session) throw notFound("Session");
    const agent = requireAgent(deps.state, tx, access.projectId, session.agentId);
    assertActsAs(access, agent.name);
    if (session.endedAt !== null) return null; // ending twice is harmless: retries are safe
    tx.update(agentSessions).set({ endedAt: now, endReason: reason }).where(eq(agentSessions.id, sessionId)).run();
    if (agent.status === "disabled") return null;
    return writeAgentTx(deps.state, tx, agent, { status: "offline", lastActiveAt: now }, now).event;
  });
  publishChanges(deps, [event]);
  return { ok: true as const };
}

/**
 * A finished task, stored as a `task_completion` metric through ingest: one path for counters,
 * session totals, daily usage, rollups and budgets, idempotent on `id`.
 */
export async function reportOutcome(deps: Deps, access: ProjectAccess, input: SessionReport) {
  const { projectId } = access;
  const { agent } = requireOpenSession(deps.state, deps.db, access, input.sessionId);
  deps.db
    .update(agentSessions)
    .set({ lastHeartbeatAt: deps.clock.now() })
    .where(eq(agentSessions.id, input.sessionId))
    .run();
  const result = await ingestReports(deps, projectId, [
    {
      kind: "metric",
      id: input.id ?? newId(),
      agent: agent.name,
      sessionId: input.sessionId,
      type: "task_completion",
      success: input.success,
      executionMs: input.executionMs,
      tokensIn: input.tokens,
      costUsd: input.costUsd,
    },
  ]);
  const [item] = result.results;
  if (item?.status === "rejected") throw new DomainError("BAD_REQUEST", item.reason ?? "Report rejected");
  return {
    ok: true as const,
    duplicate: item?.status === "duplicate",
    overBudget: result.overBudget.includes(agent.name),
  };
}

/** Ends every session silent for longer than the timeout and turns its agent offline. */
export function expireStaleSessions(deps: Deps, timeoutMs: number): { expired: number } {
  const now = deps.clock.now();
  const staleWhere = and(isNull(agentSessions.endedAt), lt(agentSessions.lastHeartbeatAt, now - timeoutMs));
  // Looked for outside a transaction first: usually there are none, and a write transaction on the
  // event loop waits for the ingest writer's commit in progress (see WriteGate).
  if (!deps.db.select({ id: agentSessions.id }).from(agentSessions).where(staleWhere).limit(1).get()) {
    return { expired: 0 };
  }
  const { events, expired } = deps.db.transaction((tx) => {
    const stale = tx.select().from(agentSessions).where(staleWhere).all();
    const events: (ChangeEvent | null)[] = [];
    for (const session of stale) {
      tx.update(agentSessions)
        .set({ endedAt: now, endReason: "expired" })
        .where(eq(agentSessions.id, session.id))
        .run();
      const agent = requireAgent(deps.state, tx, session.projectId, session.agentId);
      if (agent.status !== "disabled")
        events.push(writeAgentTx(deps.state, tx, agent, { status: "offline" }, now).event);
    }
    return { events, expired: stale.length };
  });
  publishChanges(deps, events);
  return { expired };
}

/** An agent's sessions, newest first, a keyset page at a time. */
export function listSessions(
  { db, state }: Deps,
  projectId: string,
  agentId: string,
  limit: number,
  cursor?: string | null,
) {
  requireAgent(state, db, projectId, agentId);
  const where = [eq(agentSessions.projectId, projectId), eq(agentSessions.agentId, agentId)];
  if (cursor) {
    const [startedAt, id] = decodeCursor(cursor);
    where.push(
      or(
        lt(agentSessions.startedAt, Number(startedAt)),
        and(eq(agentSessions.startedAt, Number(startedAt)), sql`${agentSessions.id} < ${id}`),
      )!,
    );
  }
  const rows = db
    .select()
    .from(agentSessions)
    .where(and(...where))
    .orderBy(desc(agentSessions.startedAt), desc(agentSessions.id))
    .limit(limit + 1)
    .all();
  const items: AgentSession[] = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor([last.startedAt, last.id]) : null };
}
