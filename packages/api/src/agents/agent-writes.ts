import { agentSessions, agents, type DbOrTx } from "@tower/db";
import type { Agent, AgentCreate, ChangeEvent } from "@tower/shared";
import { and, eq, isNull } from "drizzle-orm";
import { recordChange } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";
import { DomainError, notFound } from "../core/errors";
import { prepared, slot } from "../core/prepared";
import { assertRoomForAgent } from "../core/project-caps";
import { newId } from "../core/tokens";

/**
 * Agent writes inside a caller's transaction. Each returns the change event to publish once the
 * transaction has committed, so every service that touches agents feeds the live stream the same way.
 */
export type AgentRow = typeof agents.$inferSelect;
export type AgentChanges = Partial<Omit<AgentRow, "id" | "projectId" | "createdAt">>;

export function findAgent(state: ConnectionState, tx: DbOrTx, projectId: string, id: string): AgentRow | undefined {
  return prepared(state, "agents.byId", () =>
    tx
      .select()
      .from(agents)
      .where(and(eq(agents.projectId, slot("projectId")), eq(agents.id, slot("id"))))
      .prepare(),
  ).get({ projectId, id });
}

export function findAgentByName(
  state: ConnectionState,
  tx: DbOrTx,
  projectId: string,
  name: string,
): AgentRow | undefined {
  return prepared(state, "agents.byName", () =>
    tx
      .select()
      .from(agents)
      .where(and(eq(agents.projectId, slot("projectId")), eq(agents.name, slot("name"))))
      .prepare(),
  ).get({ projectId, name });
}

export function requireAgent(state: ConnectionState, tx: DbOrTx, projectId: string, id: string): AgentRow {
  const row = findAgent(state, tx, projectId, id);
  if (!row) throw notFound("Agent");
  return row;
}

export function assertNameFree(state: ConnectionState, tx: DbOrTx, projectId: string, name: string, exceptId?: string) {
  const clash = findAgentByName(state, tx, projectId, name);
  if (clash && clash.id !== exceptId) {
    throw new DomainError("CONFLICT", `An agent named "${name}" already exists in this project`, { field: "name" });
  }
}

/**
 * Counting the project's agents takes about 0.5 ms at the cap, so a bulk caller that counted once
 * and keeps its own tally (an import) passes `roomChecked`.
 */
export function insertAgentTx(
  state: ConnectionState,
  tx: DbOrTx,
  projectId: string,
  input: AgentCreate,
  now: number,
  { roomChecked = false }: { roomChecked?: boolean } = {},
) {
  assertNameFree(state, tx, projectId, input.name);
  if (!roomChecked) assertRoomForAgent(state, tx, projectId);
  const row: AgentRow = {
    ...input,
    id: newId(),
    projectId,
    status: "offline",
    teamId: null,
    sessionsCount: 0,
    runsCount: 0,
    successCount: 0,
    totalExecutionMs: 0,
    createdAt: now,
    updatedAt: now,
    lastActiveAt: null,
  };
  tx.insert(agents).values(row).run();
  const event = recordChange(state, tx, { projectId, entity: "agent", op: "created", at: now, data: row });
  return { agent: row as Agent, event };
}

/** Applies `changes` (undefined fields are ignored) and records the change; a no-op records nothing. */
export function writeAgentTx(
  state: ConnectionState,
  tx: DbOrTx,
  current: AgentRow,
  changes: AgentChanges,
  now: number,
): { agent: Agent; event: ChangeEvent | null } {
  const defined = Object.fromEntries(
    Object.entries(changes).filter(
      ([key, value]) => value !== undefined && JSON.stringify(value) !== JSON.stringify(current[key as keyof AgentRow]),
    ),
  );
  if (Object.keys(defined).length === 0) return { agent: current as Agent, event: null };
  if (defined.name !== undefined && defined.name !== current.name) {
    assertNameFree(state, tx, current.projectId, defined.name as string, current.id);
  }
  const next: AgentRow = { ...current, ...defined, updatedAt: now };
  // One prepared update per set of changed columns (ingest repeats the same few).
  const columns = Object.keys(defined).sort();
  prepared(state, `agents.update:${columns.join(",")}`, () =>
    tx
      .update(agents)
      .set({
        ...Object.fromEntries(columns.map((column) => [column, slot(column)])),
        updatedAt: slot("updatedAt") as never,
      })
      .where(eq(agents.id, slot("id")))
      .prepare(),
  ).run({ ...defined, updatedAt: now, id: current.id });
  const event = recordChange(state, tx, {
    projectId: current.projectId,
    entity: "agent",
    op: "updated",
    at: now,
    data: next,
  });
  return { agent: next, event };
}

export function openSessionOf(tx: DbOrTx, agentId: string) {
  return tx
    .select()
    .from(agentSessions)
    .where(and(eq(agentSessions.agentId, agentId), isNull(agentSessions.endedAt)))
    .get();
}

/**
 * Enables or disables an agent (with any `extra` changes in the same write); disabling ends its
 * open session. `changed` says whether anything was written.
 */
export function setEnabledTx(
  state: ConnectionState,
  tx: DbOrTx,
  current: AgentRow,
  enabled: boolean,
  now: number,
  extra: AgentChanges = {},
) {
  const isDisabled = current.status === "disabled";
  if (enabled === !isDisabled) {
    if (Object.keys(extra).length === 0) return { agent: current as Agent, event: null, changed: false };
    return { ...writeAgentTx(state, tx, current, extra, now), changed: true };
  }
  const open = openSessionOf(tx, current.id);
  if (!enabled && open) {
    tx.update(agentSessions).set({ endedAt: now, endReason: "disabled" }).where(eq(agentSessions.id, open.id)).run();
  }
  const status = enabled ? (open ? "idle" : "offline") : "disabled";
  return { ...writeAgentTx(state, tx, current, { ...extra, status }, now), changed: true };
}
