"use client";
import type { PeopleList } from "@tower/shared";
import { useRef } from "react";
import { trpc } from "~/lib/trpc";

/**
 * Settings stays live: when another window (or person, or key) changes a member, an invite, an API
 * key or the project's settings, the list it changed is read again, as this reader may see it.
 */
export function usePeopleLive(projectId: string) {
  const utils = trpc.useUtils();
  const refresh: Record<PeopleList, () => Promise<void>> = {
    members: () => utils.project.members.invalidate({ projectId }),
    invites: () => utils.invite.list.invalidate({ projectId }),
    apiKeys: () => utils.apiKey.list.invalidate({ projectId }),
    settings: () => utils.project.settings.invalidate({ projectId }),
  };
  // No event id to resume from: after a reconnect, every list is read again (the first start
  // comes right after they were read).
  const started = useRef(false);
  trpc.project.onPeopleChange.useSubscription(
    { projectId, lastEventId: null },
    {
      onStarted: () => {
        if (started.current) for (const read of Object.values(refresh)) void read();
        started.current = true;
      },
      onData: ({ data }) => void refresh[data.data.list](),
    },
  );
}

export function useApiKeys(projectId: string, enabled: boolean) {
  return trpc.apiKey.list.useQuery({ projectId }, { enabled });
}

export function useCreateApiKey(projectId: string) {
  const utils = trpc.useUtils();
  return trpc.apiKey.create.useMutation({ onSuccess: () => utils.apiKey.list.invalidate({ projectId }) });
}

export function useRevokeApiKey(projectId: string) {
  const utils = trpc.useUtils();
  return trpc.apiKey.revoke.useMutation({ onSuccess: () => utils.apiKey.list.invalidate({ projectId }) });
}

export function useMembers(projectId: string) {
  return trpc.project.members.useQuery({ projectId });
}

export function useInvites(projectId: string, enabled: boolean) {
  return trpc.invite.list.useQuery({ projectId }, { enabled });
}

export function useCreateInvite(projectId: string) {
  const utils = trpc.useUtils();
  return trpc.invite.create.useMutation({ onSuccess: () => utils.invite.list.invalidate({ projectId }) });
}

export function useRevokeInvite(projectId: string) {
  const utils = trpc.useUtils();
  return trpc.invite.revoke.useMutation({ onSuccess: () => utils.invite.list.invalidate({ projectId }) });
}

export function usePrices(projectId: string) {
  return trpc.metrics.prices.useQuery({ projectId });
}

export function useSetPrice(projectId: string) {
  const utils = trpc.useUtils();
  return trpc.metrics.setPrice.useMutation({ onSuccess: (rows) => utils.metrics.prices.setData({ projectId }, rows) });
}

export function useResetPrice(projectId: string) {
  const utils = trpc.useUtils();
  return trpc.metrics.resetPrice.useMutation({
    onSuccess: (rows) => utils.metrics.prices.setData({ projectId }, rows),
  });
}

export function useProjectSettings(projectId: string) {
  return trpc.project.settings.useQuery({ projectId });
}

export function useUpdateProjectSettings(projectId: string) {
  const utils = trpc.useUtils();
  return trpc.project.updateSettings.useMutation({
    onSuccess: (settings) => utils.project.settings.setData({ projectId }, settings),
  });
}

/**
 * Member changes refresh the member list, and the invites (a member removed or made less than
 * admin takes the invites they made with them).
 */
function useMembersInvalidation(projectId: string) {
  const utils = trpc.useUtils();
  return () =>
    Promise.all([utils.project.members.invalidate({ projectId }), utils.invite.list.invalidate({ projectId })]);
}

export function useRemoveMember(projectId: string) {
  const invalidate = useMembersInvalidation(projectId);
  return trpc.member.remove.useMutation({ onSuccess: invalidate });
}

export function useSetMemberRole(projectId: string) {
  const invalidate = useMembersInvalidation(projectId);
  return trpc.member.setRole.useMutation({ onSettled: invalidate });
}

export function useRevokeMemberSessions() {
  return trpc.member.revokeSessions.useMutation();
}

export function useCreateResetLink() {
  return trpc.member.createResetLink.useMutation();
}

export function useMySessions() {
  return trpc.auth.sessions.useQuery();
}

export function useRevokeMySession() {
  const utils = trpc.useUtils();
  return trpc.auth.revokeSession.useMutation({
    onSuccess: (_result, { id }) => {
      // Ending this very session signs this page out: a full load lands on the login page.
      if (utils.auth.sessions.getData()?.find((s) => s.id === id)?.current) window.location.assign("/login");
      else void utils.auth.sessions.invalidate();
    },
  });
}

export function useChangePassword() {
  const utils = trpc.useUtils();
  return trpc.auth.changePassword.useMutation({ onSuccess: () => utils.auth.sessions.invalidate() });
}
