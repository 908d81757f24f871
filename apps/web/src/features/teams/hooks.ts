"use client";
import type { ChangeEvent, Team, TeamActivationReport } from "@tower/shared";
import { useQueryClient } from "@tanstack/react-query";
import { getQueryKey } from "@trpc/react-query";
import { useCallback } from "react";
import { trpc } from "~/lib/trpc";
import { removeTeam, upsertTeam } from "./cache";

/**
 * The project's teams, kept live by `team.onChange`. The feed is opened from "now", and the list is
 * refetched once it is open, so no change can fall between the read and the subscription.
 */
export function useTeams(projectId: string) {
  const utils = trpc.useUtils();
  const query = trpc.team.list.useQuery({ projectId }, { staleTime: Infinity });
  const queryClient = useQueryClient();
  const write = useWriteTeam(projectId);
  trpc.team.onChange.useSubscription(
    { projectId, lastEventId: null },
    {
      onStarted: () => void utils.team.list.invalidate({ projectId }),
      onData: (tracked) => {
        const event: ChangeEvent = tracked.data;
        if (event.entity !== "team") return;
        // A refetch in flight may have read the list before this change, and would overwrite it.
        if (queryClient.isFetching({ queryKey: getQueryKey(trpc.team.list, { projectId }, "query") }) > 0)
          void utils.team.list.invalidate({ projectId }, undefined, { cancelRefetch: true });
        if (event.op === "deleted") utils.team.list.setData({ projectId }, (teams) => removeTeam(teams, event.data.id));
        else write(event.data);
      },
    },
  );
  return query;
}

function useWriteTeam(projectId: string) {
  const utils = trpc.useUtils();
  return useCallback(
    (team: Team) => {
      utils.team.list.setData({ projectId }, (teams) => upsertTeam(teams, team));
      utils.team.byId.setData({ projectId, id: team.id }, team);
    },
    [utils, projectId],
  );
}

export function useCreateTeam(projectId: string) {
  const write = useWriteTeam(projectId);
  return trpc.team.create.useMutation({ onSuccess: (team: Team) => write(team) });
}

export function useUpdateTeam(projectId: string) {
  const write = useWriteTeam(projectId);
  return trpc.team.update.useMutation({ onSuccess: (team: Team) => write(team) });
}

export function useDeleteTeam(projectId: string) {
  const utils = trpc.useUtils();
  return trpc.team.delete.useMutation({
    onSuccess: (_result, variables) =>
      utils.team.list.setData({ projectId }, (teams) => removeTeam(teams, variables.id)),
  });
}

/** Activate or deactivate; the report's team lands in the cache, member agents arrive via `agent.onChange`. */
export function useTeamActivation(projectId: string) {
  const write = useWriteTeam(projectId);
  const onSuccess = (report: TeamActivationReport) => write(report.team);
  const activate = trpc.team.activate.useMutation({ onSuccess });
  const deactivate = trpc.team.deactivate.useMutation({ onSuccess });
  return { activate, deactivate };
}

/** A team's name for display (from the cached list; no live feed of its own). */
export function useTeamName(projectId: string, teamId: string | null): string | null {
  const teams = trpc.team.list.useQuery({ projectId }, { enabled: teamId !== null });
  if (!teamId) return null;
  return teams.data?.find((t) => t.id === teamId)?.name ?? null;
}
