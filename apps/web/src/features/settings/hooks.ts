"use client";
import { trpc } from "~/lib/trpc";

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
