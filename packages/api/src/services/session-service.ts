import { agentSessions, agents, projects, type DbOrTx } from "@tower/db";
import {
  AgentCreateInputSchema,
  type Actor,
  type AgentSession,
  type ChangeEvent,
  type SessionReport,
  type SessionStartInput,
  type SessionStarted,
} from "@tower/shared";
import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Deps } from "../context";
import { DomainError, notFound } from "../errors";
import {
  findAgentByName,
  insertAgentTx,
  openSessionOf,
  requireAgent,
  writeAgentTx,
  type AgentRow,
} from "./agent-writes";
import { assertActsAs, type ProjectAccess } from "./access";
import { appendAudit } from "./audit-service";
import { latestChangeId, publishChanges } from "./change-feed";
import { decodeCursor, encodeCursor } from "./cursor";
import { ingestReports } from "./ingest-service";
import { newId } from "./tokens";

export interface HeartbeatPolicy {
  /** How often the SDK heartbeats. */
  intervalMs: number;
  /** Silence after which the agent turns offline and its session ends. */
  timeoutMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatPolicy = { intervalMs: 10_000, timeoutMs: 30_000 };

function assertEnabled(agent: AgentRow) {
  if (agent.status === "disabled") {
    throw new DomainError("FORBIDDEN", `Agent "${agent.name}" is disabled; an operator must enable it first`);
  }
}

/** Fields of an agent's profile that only an operator changes: they are what policy enforces. */
const OPERATOR_FIELDS = [
  "role",
  "allowedTools",
  "pathScopes",
  "budgetTokensPerSession",
  "budgetCostUsdPerDay",
] as const;

type Profile = NonNullable<SessionStartInput["profile"]>;

/** The fields of `profile` whose values differ from the agent's, as `{ field: { from, to } }`. */
function profileChanges(agent: AgentRow, profile: Profile): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [field, to] of Object.entries(profile)) {
    const from = agent[field as keyof AgentRow];
    if (to !== undefined && JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  }
  return changes;
}

function allowsSelfRegistration(tx: DbOrTx, projectId: string): boolean {
  const row = tx
    .select({ open: projects.agentSelfRegistration })
    .from(projects)
    .where(eq(projects.id, projectId))
    .get();
  return row?.open ?? false;
}

/**
 * Starts a session for an agent (registering it first when a profile is given). A session still
 * open for the same agent is ended as `replaced`: one process per agent name. An agent key (bound
 * to its agents) may register its agent the first time, where the project allows it, but changes
 * none of the fields an operator owns: those it sent are ignored and listed in `warnings`. Profile
 * changes and replaced sessions are audited.
 */
export function startSession(
  deps: Deps,
  access: ProjectAccess,
  input: SessionStartInput,
  actor: Actor,
  policy: HeartbeatPolicy = DEFAULT_HEARTBEAT,
): SessionStarted {
  const { projectId } = access;
  assertActsAs(access, input.name);
  const asAgent = access.actsAs !== null;
  const now = deps.clock.now();
  const warnings: string[] = [];
  const { session, agent, lastEventId, events } = deps.db.transaction((tx) => {
    const events: (ChangeEvent | null)[] = [];
    let agent = findAgentByName(tx, projectId, input.name);
    if (!agent && !input.profile) {
      throw new DomainError("NOT_FOUND", `Agent "${input.name}" not found; register it or pass a profile`);
    }
    if (!agent) {
      if (asAgent && !allowsSelfRegistration(tx, projectId)) {
        throw new DomainError(
          "FORBIDDEN",
          `Agent "${input.name}" does not exist, and this project does not let agents register themselves; ask an operator to create it`,
        );
      }
      const profile = AgentCreateInputSchema.parse({ ...input.profile, name: input.name });
      const created = insertAgentTx(tx, projectId, profile, now);
      events.push(created.event);
      agent = requireAgent(tx, projectId, created.agent.id);
      appendAudit(
        deps,
        tx,
        projectId,
        actor,
        {
          operation: "agent.register",
          target: agent.name,
          agentId: agent.id,
          detail: { profile: input.profile ?? {}, via: "session.start" },
        },
        now,
      );
    } else if (input.profile) {
      const changes = profileChanges(agent, input.profile);
      if (asAgent) {
        for (const field of OPERATOR_FIELDS) {
          if (!(field in changes)) continue;
          delete changes[field];
          warnings.push(`${field} was not changed: an agent key cannot change its agent's ${field}; an operator can`);
        }
      }
      if (Object.keys(changes).length > 0) {
        const patch = Object.fromEntries(Object.entries(changes).map(([field, { to }]) => [field, to]));
        events.push(writeAgentTx(tx, agent, patch, now).event);
        agent = requireAgent(tx, projectId, agent.id);
        appendAudit(
          deps,
          tx,
          projectId,
          actor,
          {
            operation: "agent.profile",
            target: agent.name,
            agentId: agent.id,
            detail: { changes, via: "session.start" },
          },
          now,
        );
      }
    }
    assertEnabled(agent);
    const previous = openSessionOf(tx, agent.id);
    if (previous) {
      tx.update(agentSessions)
        .set({ endedAt: now, endReason: "replaced" })
        .where(eq(agentSessions.id, previous.id))
        .run();
    }
    const session: AgentSession = {
      id: newId(),
      projectId,
      agentId: agent.id,
      startedAt: now,
      lastHeartbeatAt: now,
      endedAt: null,
      endReason: null,
      tokens: 0,
      costUsd: 0,
      runs: 0,
      successes: 0,
    };
    tx.insert(agentSessions).values(session).run();
    if (previous) {
      appendAudit(
        deps,
        tx,
        projectId,
        actor,
        {
          operation: "session.replace",
          target: agent.name,
          agentId: agent.id,
          sessionId: session.id,
          detail: { replaced: previous.id, startedAt: previous.startedAt },
        },
        now,
      );
    }
    const started = writeAgentTx(
      tx,
      agent,
      { status: "idle", lastActiveAt: now, sessionsCount: agent.sessionsCount + 1 },
      now,
    );
    events.push(started.event);
    return { session, agent: started.agent, lastEventId: latestChangeId(tx, projectId), events };
  });
  publishChanges(deps, events);
  return {
    session,
    agent,
    lastEventId,
    heartbeatIntervalMs: policy.intervalMs,
    heartbeatTimeoutMs: policy.timeoutMs,
    warnings,
  };
}

/**
 * The open session and its agent, refusing ended sessions, disabled agents and (for an agent key)
 * another agent's session with a clear reason.
 */
function requireOpenSession(tx: DbOrTx, access: ProjectAccess, sessionId: string) {
  const session = tx
    .select()
    .from(agentSessions)
    .where(and(eq(agentSessions.id, sessionId), eq(agentSessions.projectId, access.projectId)))
    .get();
  if (!session) throw notFound("Session");
  const agent = requireAgent(tx, access.projectId, session.agentId);
  assertActsAs(access, agent.name);
  assertEnabled(agent);
  if (session.endedAt !== null) {
    throw new DomainError("CONFLICT", `This session has ended (${session.endReason}); start a new one`);
  }
  return { session, agent };
}

export function heartbeat(deps: Deps, access: ProjectAccess, sessionId: string, status?: "idle" | "busy") {
  const now = deps.clock.now();
  const event = deps.db.transaction((tx) => {
    const { agent } = requireOpenSession(tx, access, sessionId);
    tx.update(agentSessions).set({ lastHeartbeatAt: now }).where(eq(agentSessions.id, sessionId)).run();
    // Only a status change is news for dashboards; a plain heartbeat just moves lastActiveAt.
    if (status && status !== agent.status) {
      return writeAgentTx(tx, agent, { status, lastActiveAt: now }, now).event;
    }
    tx.update(agents).set({ lastActiveAt: now }).where(eq(agents.id, agent.id)).run();
    return null;
  });
  publishChanges(deps, [event]);
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
    const agent = requireAgent(tx, access.projectId, session.agentId);
    assertActsAs(access, agent.name);
    if (session.endedAt !== null) return null; // ending twice is harmless: retries are safe
    tx.update(agentSessions).set({ endedAt: now, endReason: reason }).where(eq(agentSessions.id, sessionId)).run();
    if (agent.status === "disabled") return null;
    return writeAgentTx(tx, agent, { status: "offline", lastActiveAt: now }, now).event;
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
  const { agent } = requireOpenSession(deps.db, access, input.sessionId);
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
  const { events, expired } = deps.db.transaction((tx) => {
    const stale = tx
      .select()
      .from(agentSessions)
      .where(and(isNull(agentSessions.endedAt), lt(agentSessions.lastHeartbeatAt, now - timeoutMs)))
      .all();
    const events: (ChangeEvent | null)[] = [];
    for (const session of stale) {
      tx.update(agentSessions)
        .set({ endedAt: now, endReason: "expired" })
        .where(eq(agentSessions.id, session.id))
        .run();
      const agent = requireAgent(tx, session.projectId, session.agentId);
      if (agent.status !== "disabled") events.push(writeAgentTx(tx, agent, { status: "offline" }, now).event);
    }
    return { events, expired: stale.length };
  });
  publishChanges(deps, events);
  return { expired };
}

/** An agent's sessions, newest first, a keyset page at a time. */
export function listSessions({ db }: Deps, projectId: string, agentId: string, limit: number, cursor?: string | null) {
  requireAgent(db, projectId, agentId);
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
