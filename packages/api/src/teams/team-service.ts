import { agents, teams, type DbOrTx } from "@tower/db";
import type { Actor, ChangeEvent, Team, TeamActivationReport, TeamCreateInput, TeamMember } from "@tower/shared";
import { and, asc, eq, isNull, notInArray, sql } from "drizzle-orm";
import { setEnabledTx, writeAgentTx, type AgentRow } from "../agents/agent-writes";
import { assertMayEnable, type ProjectAccess } from "../core/access";
import { appendAudit } from "../core/audit-chain";
import { recordChange, publishChanges } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";
import type { Deps } from "../core/deps";
import { DomainError, notFound } from "../core/errors";
import { assertRoomForTeam } from "../core/project-caps";
import { newId } from "../core/tokens";

type TeamRow = typeof teams.$inferSelect;

const toMember = (agent: Pick<AgentRow, "id" | "name" | "role" | "status">): TeamMember => ({
  id: agent.id,
  name: agent.name,
  role: agent.role,
  status: agent.status,
});

function membersOf(tx: DbOrTx, teamId: string): TeamMember[] {
  return tx
    .select({ id: agents.id, name: agents.name, role: agents.role, status: agents.status })
    .from(agents)
    .where(eq(agents.teamId, teamId))
    .orderBy(asc(agents.role), asc(agents.name))
    .all();
}

function toTeam(tx: DbOrTx, row: TeamRow): Team {
  const size = Object.values(row.roleMix).reduce((sum, n) => sum + n, 0);
  return { ...row, size, members: membersOf(tx, row.id) };
}

function requireTeam(tx: DbOrTx, projectId: string, id: string): TeamRow {
  const row = tx
    .select()
    .from(teams)
    .where(and(eq(teams.projectId, projectId), eq(teams.id, id)))
    .get();
  if (!row) throw notFound("Team");
  return row;
}

function assertTeamNameFree(tx: DbOrTx, projectId: string, name: string, exceptId?: string) {
  const clash = tx
    .select({ id: teams.id })
    .from(teams)
    .where(and(eq(teams.projectId, projectId), eq(teams.name, name)))
    .get();
  if (clash && clash.id !== exceptId)
    throw new DomainError("CONFLICT", `A team named "${name}" already exists`, { field: "name" });
}

function teamChanged(
  state: ConnectionState,
  tx: DbOrTx,
  row: TeamRow,
  now: number,
  op: "created" | "updated",
): ChangeEvent {
  return recordChange(state, tx, { projectId: row.projectId, entity: "team", op, at: now, data: toTeam(tx, row) });
}

export function listTeams({ db }: Deps, projectId: string): Team[] {
  return db
    .select()
    .from(teams)
    .where(eq(teams.projectId, projectId))
    .orderBy(asc(teams.name))
    .all()
    .map((row) => toTeam(db, row));
}

export function getTeam({ db }: Deps, projectId: string, id: string): Team {
  return toTeam(db, requireTeam(db, projectId, id));
}

export function createTeam(deps: Deps, projectId: string, input: TeamCreateInput, actor: Actor): Team {
  const now = deps.clock.now();
  const { team, event } = deps.db.transaction((tx) => {
    assertTeamNameFree(tx, projectId, input.name);
    assertRoomForTeam(tx, projectId);
    const row: TeamRow = { id: newId(), projectId, ...input, active: false, createdAt: now, updatedAt: now };
    tx.insert(teams).values(row).run();
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "team.create", target: row.name, detail: { roleMix: row.roleMix } },
      now,
    );
    return { team: toTeam(tx, row), event: teamChanged(deps.state, tx, row, now, "created") };
  });
  publishChanges(deps, [event]);
  return team;
}

export function updateTeam(
  deps: Deps,
  projectId: string,
  id: string,
  patch: Partial<TeamCreateInput>,
  actor: Actor,
): Team {
  const now = deps.clock.now();
  const { team, event } = deps.db.transaction((tx) => {
    const current = requireTeam(tx, projectId, id);
    if (patch.name !== undefined) assertTeamNameFree(tx, projectId, patch.name, id);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    const row: TeamRow = { ...current, ...defined, updatedAt: now };
    tx.update(teams)
      .set({ ...defined, updatedAt: now })
      .where(eq(teams.id, id))
      .run();
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "team.update", target: row.name, detail: { fields: Object.keys(defined) } },
      now,
    );
    return { team: toTeam(tx, row), event: teamChanged(deps.state, tx, row, now, "updated") };
  });
  publishChanges(deps, [event]);
  return team;
}

/** Deletes the team; its agents keep their state and leave the team. */
export function deleteTeam(deps: Deps, projectId: string, id: string, actor: Actor): { id: string } {
  const now = deps.clock.now();
  const events = deps.db.transaction((tx) => {
    const current = requireTeam(tx, projectId, id);
    const events: (ChangeEvent | null)[] = [];
    for (const member of tx.select().from(agents).where(eq(agents.teamId, id)).all()) {
      events.push(writeAgentTx(deps.state, tx, member, { teamId: null }, now).event);
    }
    tx.delete(teams).where(eq(teams.id, id)).run();
    appendAudit(deps, tx, projectId, actor, { operation: "team.delete", target: current.name }, now);
    events.push(
      recordChange(deps.state, tx, {
        projectId,
        entity: "team",
        op: "deleted",
        at: now,
        data: { id, name: current.name },
      }),
    );
    return events;
  });
  publishChanges(deps, events);
  return { id };
}

// Free agents are picked ready-first: online ones can work at once, disabled ones need enabling.
const pickOrder = sql`case ${agents.status} when 'idle' then 0 when 'busy' then 1 when 'offline' then 2 when 'disabled' then 3 else 4 end`;

/**
 * Activates a team: for each role of its mix, keeps the members it already has and recruits free
 * agents of that role (in no other team) until the count is met, then enables them all. Roles
 * without enough free agents are reported as a shortfall rather than failing the whole activation.
 */
export function activateTeam(deps: Deps, access: ProjectAccess, id: string, actor: Actor): TeamActivationReport {
  assertMayEnable(access, actor);
  const { projectId } = access;
  const now = deps.clock.now();
  const { report, events } = deps.db.transaction((tx) => {
    const team = requireTeam(tx, projectId, id);
    const events: (ChangeEvent | null)[] = [];
    const changed: TeamMember[] = [];
    const unchanged: TeamMember[] = [];
    const shortfall: TeamActivationReport["shortfall"] = [];
    // Members of roles the mix no longer has leave the team as they are.
    const roles = Object.keys(team.roleMix);
    for (const leaver of tx
      .select()
      .from(agents)
      .where(and(eq(agents.teamId, id), notInArray(agents.role, roles)))
      .all()) {
      events.push(writeAgentTx(deps.state, tx, leaver, { teamId: null }, now).event);
    }
    for (const [role, wanted] of Object.entries(team.roleMix)) {
      const current = tx
        .select()
        .from(agents)
        .where(and(eq(agents.teamId, id), eq(agents.role, role)))
        .orderBy(asc(agents.name))
        .all();
      const recruits =
        current.length >= wanted
          ? []
          : tx
              .select()
              .from(agents)
              .where(
                and(
                  eq(agents.projectId, projectId),
                  eq(agents.role, role),
                  isNull(agents.teamId),
                  sql`${agents.status} != 'error'`,
                ),
              )
              .orderBy(pickOrder, asc(agents.name))
              .limit(wanted - current.length)
              .all();
      if (current.length + recruits.length < wanted) {
        shortfall.push({ role, wanted, found: current.length + recruits.length });
      }
      for (const member of current.slice(0, wanted)) {
        const result = setEnabledTx(deps.state, tx, member, true, now);
        events.push(result.event);
        (result.changed ? changed : unchanged).push(toMember(result.agent));
      }
      // The mix may have shrunk since the last activation: extra members leave the team as they are.
      for (const extra of current.slice(wanted))
        events.push(writeAgentTx(deps.state, tx, extra, { teamId: null }, now).event);
      for (const recruit of recruits) {
        const result = setEnabledTx(deps.state, tx, recruit, true, now, { teamId: id });
        events.push(result.event);
        changed.push(toMember(result.agent));
      }
    }
    const row: TeamRow = { ...team, active: true, updatedAt: now };
    tx.update(teams).set({ active: true, updatedAt: now }).where(eq(teams.id, id)).run();
    const detail = { enabled: changed.map((m) => m.name), shortfall };
    appendAudit(deps, tx, projectId, actor, { operation: "team.activate", target: team.name, detail }, now);
    events.push(teamChanged(deps.state, tx, row, now, "updated"));
    return { report: { team: toTeam(tx, row), changed, unchanged, shortfall }, events };
  });
  publishChanges(deps, events);
  return report;
}

/** Deactivates a team: disables every member (ending their sessions); they stay in the team. */
export function deactivateTeam(deps: Deps, projectId: string, id: string, actor: Actor): TeamActivationReport {
  const now = deps.clock.now();
  const { report, events } = deps.db.transaction((tx) => {
    const team = requireTeam(tx, projectId, id);
    const events: (ChangeEvent | null)[] = [];
    const changed: TeamMember[] = [];
    const unchanged: TeamMember[] = [];
    for (const member of tx.select().from(agents).where(eq(agents.teamId, id)).all()) {
      const result = setEnabledTx(deps.state, tx, member, false, now);
      events.push(result.event);
      (result.changed ? changed : unchanged).push(toMember(result.agent));
    }
    const row: TeamRow = { ...team, active: false, updatedAt: now };
    tx.update(teams).set({ active: false, updatedAt: now }).where(eq(teams.id, id)).run();
    const detail = { disabled: changed.map((m) => m.name) };
    appendAudit(deps, tx, projectId, actor, { operation: "team.deactivate", target: team.name, detail }, now);
    events.push(teamChanged(deps.state, tx, row, now, "updated"));
    return { report: { team: toTeam(tx, row), changed, unchanged, shortfall: [] }, events };
  });
  publishChanges(deps, events);
  return report;
}
