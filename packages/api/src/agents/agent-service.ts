import { agents } from "@tower/db";
import {
  AgentCreateInputSchema,
  type Actor,
  type Agent,
  type AgentCreate,
  type AgentListQuery,
  type AgentPage,
  type AgentPatch,
  type AgentRegisterInput,
  type AgentStatus,
  type AgentSummary,
  AgentStatusSchema,
} from "@tower/shared";
import { and, asc, desc, eq, or, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { assertActsAs, assertMayEnable, type ProjectAccess } from "../core/access";
import { appendAudit } from "../core/audit-chain";
import { latestChangeId, recordChange, publishChanges } from "../core/change-feed";
import { decodeCursor, encodeCursor } from "../core/cursor";
import type { Deps } from "../core/deps";
import { DomainError, notFound } from "../core/errors";
import { prepared, slot } from "../core/prepared";
import { insertAgentTx, requireAgent, setEnabledTx, writeAgentTx, type AgentRow } from "./agent-writes";
import { escapeLike } from "../core/like";

const sortColumns: Record<AgentListQuery["sort"], SQLWrapper> = {
  name: agents.name,
  role: agents.role,
  status: agents.status,
  createdAt: agents.createdAt,
  updatedAt: agents.updatedAt,
  lastActiveAt: sql<number>`coalesce(${agents.lastActiveAt}, 0)`,
} as const;

function toAgent(row: AgentRow): Agent {
  return row;
}

export function listAgents({ db, state }: Deps, projectId: string, input: AgentListQuery): AgentPage {
  const cursor = input.cursor ? decodeCursor(input.cursor) : undefined;
  const filters = (["role", "category", "status", "teamId", "tag", "q"] as const).filter((f) => input[f]);
  // One prepared query per shape (sort, order, which filters, cursor or not); values bind at run time.
  const shape = `agents.list:${input.sort}:${input.order}:${filters.join(",")}:${cursor ? "after" : ""}`;
  const query = prepared(state, shape, () => {
    const column = sortColumns[input.sort];
    const where: (SQL | undefined)[] = [eq(agents.projectId, slot("projectId"))];
    if (input.role) where.push(eq(agents.role, slot("role")));
    if (input.category) where.push(eq(agents.category, slot("category")));
    if (input.status) where.push(eq(agents.status, slot("status")));
    if (input.teamId) where.push(eq(agents.teamId, slot("teamId")));
    if (input.tag) where.push(sql`exists (select 1 from json_each(${agents.tags}) where value = ${slot("tag")})`);
    if (input.q) {
      // drizzle's like() sets no ESCAPE character, and SQLite has no default one.
      const matches = (column: SQLWrapper) => sql`${column} like ${slot("pattern")} escape '\\'`;
      // Tags one by one, not their JSON text: `[` or `"` must not match every agent.
      const tagMatches = sql`exists (select 1 from json_each(${agents.tags}) where value like ${slot("pattern")} escape '\\')`;
      where.push(or(matches(agents.name), matches(agents.role), matches(agents.description), tagMatches));
    }
    if (cursor) {
      const after = input.order === "asc" ? sql`>` : sql`<`;
      where.push(
        sql`(${column} ${after} ${slot("afterValue")} or (${column} = ${slot("afterValue")} and ${agents.id} ${after} ${slot("afterId")}))`,
      );
    }
    const direction = input.order === "asc" ? asc : desc;
    return db
      .select()
      .from(agents)
      .where(and(...where))
      .orderBy(direction(column), direction(agents.id))
      .limit(slot("limit"))
      .prepare();
  });
  const lastEventId = latestChangeId(state, db, projectId);
  const rows = query.all({
    projectId,
    role: input.role,
    category: input.category,
    status: input.status,
    teamId: input.teamId,
    tag: input.tag,
    pattern: input.q ? `%${escapeLike(input.q)}%` : undefined,
    afterValue: cursor?.[0],
    afterId: cursor?.[1],
    limit: input.limit + 1,
  });
  const items = rows.slice(0, input.limit).map(toAgent);
  const last = items.at(-1);
  const nextCursor =
    rows.length > input.limit && last
      ? encodeCursor([input.sort === "lastActiveAt" ? (last.lastActiveAt ?? 0) : last[input.sort], last.id])
      : null;
  return { items, nextCursor, lastEventId };
}

/** One agent; an agent key reads only its own. */
export function getAgent({ db }: Deps, access: ProjectAccess, id: string): Agent {
  const row = db
    .select()
    .from(agents)
    .where(and(eq(agents.projectId, access.projectId), eq(agents.id, id)))
    .get();
  if (!row) throw notFound("Agent");
  assertActsAs(access, row.name);
  return toAgent(row);
}

/** An agent key may follow the changes of one of its own agents only, not the fleet's. */
export function assertMayFollow(deps: Deps, access: ProjectAccess, agentId: string | undefined): void {
  if (!access.actsAs) return;
  if (!agentId) throw new DomainError("FORBIDDEN", "An agent key follows one of its own agents: pass its agentId");
  getAgent(deps, access, agentId);
}

export function getAgentByName({ db }: Deps, access: ProjectAccess, name: string): Agent {
  assertActsAs(access, name);
  const { projectId } = access;
  const row = db
    .select()
    .from(agents)
    .where(and(eq(agents.projectId, projectId), eq(agents.name, name)))
    .get();
  if (!row) throw notFound(`Agent "${name}"`);
  return toAgent(row);
}

export function createAgent(deps: Deps, projectId: string, input: AgentCreate, actor: Actor): Agent {
  const now = deps.clock.now();
  const { agent, event } = deps.db.transaction((tx) => {
    const created = insertAgentTx(deps.state, tx, projectId, input, now);
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "agent.create", target: input.name, agentId: created.agent.id },
      now,
    );
    return created;
  });
  publishChanges(deps, [event]);
  return agent;
}

export function updateAgent(deps: Deps, projectId: string, id: string, patch: AgentPatch, actor: Actor): Agent {
  const now = deps.clock.now();
  const { agent, event } = deps.db.transaction((tx) => {
    const updated = writeAgentTx(deps.state, tx, requireAgent(deps.state, tx, projectId, id), patch, now);
    const fields = Object.keys(patch).filter((key) => patch[key as keyof AgentPatch] !== undefined);
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "agent.update", target: updated.agent.name, agentId: id, detail: { fields } },
      now,
    );
    return updated;
  });
  publishChanges(deps, [event]);
  return agent;
}

/** Enables or disables one agent; a disabled agent's session ends and its SDK is refused. */
export function setAgentEnabled(deps: Deps, access: ProjectAccess, id: string, enabled: boolean, actor: Actor): Agent {
  if (enabled) assertMayEnable(access, actor);
  const { projectId } = access;
  const now = deps.clock.now();
  const { agent, event } = deps.db.transaction((tx) => {
    const result = setEnabledTx(deps.state, tx, requireAgent(deps.state, tx, projectId, id), enabled, now);
    if (result.changed) {
      const operation = enabled ? "agent.enable" : "agent.disable";
      appendAudit(deps, tx, projectId, actor, { operation, target: result.agent.name, agentId: id }, now);
    }
    return result;
  });
  publishChanges(deps, [event]);
  return agent;
}

/** Creates the agent, or updates the given fields of the one with that name: safe to call on every start. */
export function registerAgent(deps: Deps, projectId: string, input: AgentRegisterInput, actor: Actor): Agent {
  const existing = deps.db
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.projectId, projectId), eq(agents.name, input.name)))
    .get();
  if (!existing) return createAgent(deps, projectId, AgentCreateInputSchema.parse(input), actor);
  const { name: _name, ...patch } = input;
  return updateAgent(deps, projectId, existing.id, patch, actor);
}

export function deleteAgent(deps: Deps, projectId: string, id: string, actor: Actor): { id: string } {
  const now = deps.clock.now();
  const event = deps.db.transaction((tx) => {
    const current = tx
      .select({ id: agents.id, name: agents.name })
      .from(agents)
      .where(and(eq(agents.projectId, projectId), eq(agents.id, id)))
      .get();
    if (!current) throw notFound("Agent");
    tx.delete(agents).where(eq(agents.id, id)).run();
    appendAudit(deps, tx, projectId, actor, { operation: "agent.delete", target: current.name, agentId: id }, now);
    return recordChange(deps.state, tx, { projectId, entity: "agent", op: "deleted", at: now, data: current });
  });
  publishChanges(deps, [event]);
  return { id };
}

/** Fleet counts by status, role and category, in one pass over the project's agents. */
export function summarizeAgents({ db }: Deps, projectId: string): AgentSummary {
  const rows = db
    .select({ status: agents.status, role: agents.role, category: agents.category, n: sql<number>`count(*)` })
    .from(agents)
    .where(eq(agents.projectId, projectId))
    .groupBy(agents.status, agents.role, agents.category)
    .all();
  const byStatus = Object.fromEntries(AgentStatusSchema.options.map((s) => [s, 0])) as Record<AgentStatus, number>;
  const byRole = new Map<string, number>();
  const byCategory = new Map<string, number>();
  let total = 0;
  for (const row of rows) {
    total += row.n;
    byStatus[row.status] += row.n;
    byRole.set(row.role, (byRole.get(row.role) ?? 0) + row.n);
    byCategory.set(row.category, (byCategory.get(row.category) ?? 0) + row.n);
  }
  const sorted = <K extends string>(map: Map<string, number>, key: K) =>
    [...map]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([value, count]) => ({ [key]: value, count }) as Record<K, string> & { count: number });
  return { total, byStatus, byRole: sorted(byRole, "role"), byCategory: sorted(byCategory, "category") };
}
