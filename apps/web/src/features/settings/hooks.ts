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
