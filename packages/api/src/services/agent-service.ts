import { agents, type DbOrTx } from "@tower/db";
import {
  AgentCreateInputSchema,
  type Agent,
  type AgentCreate,
  type AgentListQuery,
  type AgentPage,
  type AgentPatch,
  type AgentRegisterInput,
} from "@tower/shared";
import { and, asc, desc, eq, or, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { Deps } from "../context";
import { DomainError, notFound } from "../errors";
import { latestChangeId, recordChange } from "./change-feed";
import { decodeCursor, encodeCursor } from "./cursor";
import { newId } from "./tokens";

type AgentRow = typeof agents.$inferSelect;

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

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function listAgents({ db }: Deps, projectId: string, input: AgentListQuery): AgentPage {
  const column = sortColumns[input.sort];
  const where: (SQL | undefined)[] = [eq(agents.projectId, projectId)];
  if (input.role) where.push(eq(agents.role, input.role));
  if (input.category) where.push(eq(agents.category, input.category));
  if (input.status) where.push(eq(agents.status, input.status));
  if (input.q) {
    // drizzle's like() sets no ESCAPE character, and SQLite has no default one.
    const pattern = `%${escapeLike(input.q)}%`;
    const matches = (column: SQLWrapper) => sql`${column} like ${pattern} escape '\\'`;
    where.push(or(matches(agents.name), matches(agents.role), matches(agents.description), matches(agents.tags)));
  }
  if (input.cursor) {
    const [value, id] = decodeCursor(input.cursor);
    const after = input.order === "asc" ? sql`>` : sql`<`;
    where.push(sql`(${column} ${after} ${value} or (${column} = ${value} and ${agents.id} ${after} ${id}))`);
  }
  const direction = input.order === "asc" ? asc : desc;
  const lastEventId = latestChangeId(db, projectId);
  const rows = db
    .select()
    .from(agents)
    .where(and(...where))
    .orderBy(direction(column), direction(agents.id))
    .limit(input.limit + 1)
    .all();
  const items = rows.slice(0, input.limit).map(toAgent);
  const last = items.at(-1);
  const nextCursor =
    rows.length > input.limit && last
      ? encodeCursor([input.sort === "lastActiveAt" ? (last.lastActiveAt ?? 0) : last[input.sort], last.id])
      : null;
  return { items, nextCursor, lastEventId };
}

export function getAgent({ db }: Deps, projectId: string, id: string): Agent {
  const row = db
    .select()
    .from(agents)
    .where(and(eq(agents.projectId, projectId), eq(agents.id, id)))
    .get();
  if (!row) throw notFound("Agent");
  return toAgent(row);
}

export function getAgentByName({ db }: Deps, projectId: string, name: string): Agent {
  const row = db
    .select()
    .from(agents)
    .where(and(eq(agents.projectId, projectId), eq(agents.name, name)))
    .get();
  if (!row) throw notFound(`Agent "${name}"`);
  return toAgent(row);
}

function assertNameFree(db: DbOrTx, projectId: string, name: string, exceptId?: string) {
  const clash = db
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.projectId, projectId), eq(agents.name, name)))
    .get();
  if (clash && clash.id !== exceptId) {
    throw new DomainError("CONFLICT", `name: An agent named "${name}" already exists in this project`);
  }
}

export function createAgent(deps: Deps, projectId: string, input: AgentCreate): Agent {
  const now = deps.clock.now();
  const row: AgentRow = {
    ...input,
    id: newId(),
    projectId,
    status: "idle",
    createdAt: now,
    updatedAt: now,
    lastActiveAt: null,
  };
  const event = deps.db.transaction((tx) => {
    assertNameFree(tx, projectId, input.name);
    tx.insert(agents).values(row).run();
    return recordChange(tx, { projectId, entity: "agent", op: "created", at: now, data: row });
  });
  deps.bus.publish(event);
  return row;
}

export function updateAgent(deps: Deps, projectId: string, id: string, patch: AgentPatch): Agent {
  const now = deps.clock.now();
  const { agent, event } = deps.db.transaction((tx) => {
    const current = tx
      .select()
      .from(agents)
      .where(and(eq(agents.projectId, projectId), eq(agents.id, id)))
      .get();
    if (!current) throw notFound("Agent");
    if (patch.name !== undefined && patch.name !== current.name) {
      assertNameFree(tx, projectId, patch.name, id);
    }
    const changed = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    const next: AgentRow = { ...current, ...changed, updatedAt: now };
    tx.update(agents)
      .set({ ...changed, updatedAt: now })
      .where(eq(agents.id, id))
      .run();
    return {
      agent: next,
      event: recordChange(tx, { projectId, entity: "agent", op: "updated", at: now, data: next }),
    };
  });
  deps.bus.publish(event);
  return agent;
}

/** Creates the agent, or updates the given fields of the one with that name: safe to call on every start. */
export function registerAgent(deps: Deps, projectId: string, input: AgentRegisterInput): Agent {
  const existing = deps.db
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.projectId, projectId), eq(agents.name, input.name)))
    .get();
  if (!existing) return createAgent(deps, projectId, AgentCreateInputSchema.parse(input));
  const { name: _name, ...patch } = input;
  return updateAgent(deps, projectId, existing.id, patch);
}

export function deleteAgent(deps: Deps, projectId: string, id: string): { id: string } {
  const now = deps.clock.now();
  const event = deps.db.transaction((tx) => {
    const current = tx
      .select({ id: agents.id, name: agents.name })
      .from(agents)
      .where(and(eq(agents.projectId, projectId), eq(agents.id, id)))
      .get();
    if (!current) throw notFound("Agent");
    tx.delete(agents).where(eq(agents.id, id)).run();
    return recordChange(tx, { projectId, entity: "agent", op: "deleted", at: now, data: current });
  });
  deps.bus.publish(event);
  return { id };
}
