import type { Agent, RoleMix, Team } from "@tower/shared";

/** Carries an agent's new name, role and status into the member lists that contain it. */
export function patchTeamMembers(teams: Team[] | undefined, agent: Agent): Team[] | undefined {
  if (!teams) return teams;
  let touched = false;
  const next = teams.map((team) => {
    if (!team.members.some((m) => m.id === agent.id)) return team;
    touched = true;
    return {
      ...team,
      members: team.members.map((m) =>
        m.id === agent.id ? { ...m, name: agent.name, role: agent.role, status: agent.status } : m,
      ),
    };
  });
  return touched ? next : teams;
}

/** Inserts or replaces one team, keeping the list sorted by name. */
export function upsertTeam(teams: Team[] | undefined, team: Team): Team[] | undefined {
  if (!teams) return teams;
  const rest = teams.filter((t) => t.id !== team.id);
  return [...rest, team].sort((a, b) => a.name.localeCompare(b.name));
}

export function removeTeam(teams: Team[] | undefined, id: string): Team[] | undefined {
  return teams?.filter((t) => t.id !== id);
}

/** "3 researcher · 1 reviewer" */
export function formatRoleMix(mix: RoleMix): string {
  return Object.entries(mix)
    .map(([role, count]) => `${count} ${role}`)
    .join(" · ");
}
