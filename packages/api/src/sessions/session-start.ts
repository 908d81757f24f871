import { agentSessions, projects, type DbOrTx } from "@tower/db";
import {
  AgentCreateInputSchema,
  type Actor,
  type AgentSession,
  type ChangeEvent,
  type SessionStartInput,
  type SessionStarted,
} from "@tower/shared";
import { eq } from "drizzle-orm";
import {
  findAgentByName,
  insertAgentTx,
  openSessionOf,
  requireAgent,
  writeAgentTx,
  type AgentRow,
} from "../agents/agent-writes";
import { assertActsAs, type ProjectAccess } from "../core/access";
import { appendAudit } from "../core/audit-chain";
import { latestChangeId } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { groupCommit } from "../core/group-commit";
import type { HeartbeatPolicy } from "../core/ports";
import { newId } from "../core/tokens";
import { assertEnabled, DEFAULT_HEARTBEAT } from "./session-service";

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
export async function startSession(
  deps: Deps,
  access: ProjectAccess,
  input: SessionStartInput,
  actor: Actor,
  policy: HeartbeatPolicy = DEFAULT_HEARTBEAT,
): Promise<SessionStarted> {
  const { projectId } = access;
  assertActsAs(access, input.name);
  const asAgent = access.actsAs !== null;
  const now = deps.clock.now();
  const warnings: string[] = [];
  // In a group commit: a fleet starting at once (each agent registering and opening its session)
  // shares commits instead of queuing one flush of the disk per agent on the event loop.
  const { session, agent, lastEventId } = await groupCommit(deps, (tx) => {
    const events: (ChangeEvent | null)[] = [];
    let agent = findAgentByName(deps.state, tx, projectId, input.name);
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
      const created = insertAgentTx(deps.state, tx, projectId, profile, now);
      events.push(created.event);
      agent = requireAgent(deps.state, tx, projectId, created.agent.id);
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
        events.push(writeAgentTx(deps.state, tx, agent, patch, now).event);
        agent = requireAgent(deps.state, tx, projectId, agent.id);
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
      deps.state,
      tx,
      agent,
      { status: "idle", lastActiveAt: now, sessionsCount: agent.sessionsCount + 1 },
      now,
    );
    events.push(started.event);
    const value = { session, agent: started.agent, lastEventId: latestChangeId(deps.state, tx, projectId) };
    return { value, events: events.filter((event): event is ChangeEvent => event !== null) };
  });
  return {
    session,
    agent,
    lastEventId,
    heartbeatIntervalMs: policy.intervalMs,
    heartbeatTimeoutMs: policy.timeoutMs,
    warnings,
  };
}
