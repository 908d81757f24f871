"use client";
import type { PolicyVersion } from "@tower/shared";
import { useCallback } from "react";
import { useTrailingThrottle } from "~/lib/throttle";
import { trpc, type RouterInputs } from "~/lib/trpc";

// The policy's queries and mutations. Saved versions never change, so each is cached for good;
// what is in force is kept live by `policy.onChange`.

export const VERSIONS_PAGE_SIZE = 20;

/** The policy in force (version 0: the built-in default), live: a version saved anywhere arrives. */
export function usePolicy(projectId: string) {
  const utils = trpc.useUtils();
  const query = trpc.policy.get.useQuery({ projectId }, { staleTime: Infinity });
  const refresh = useTrailingThrottle(
    useCallback(() => {
      void utils.policy.get.invalidate({ projectId });
      void utils.policy.versions.invalidate({ projectId });
      void utils.policy.exportYaml.invalidate({ projectId });
    }, [utils, projectId]),
    200,
  );
  trpc.policy.onChange.useSubscription({ projectId, lastEventId: null }, { onStarted: refresh, onData: refresh });
  return query;
}

/** Writes a saved version in as the one in force (the feed confirms it). */
function useAdopt(projectId: string) {
  const utils = trpc.useUtils();
  return useCallback(
    (policy: PolicyVersion) => {
      utils.policy.get.setData({ projectId }, policy);
      utils.policy.version.setData({ projectId, version: policy.version }, policy);
      void utils.policy.versions.invalidate({ projectId });
      void utils.policy.exportYaml.invalidate({ projectId });
    },
    [utils, projectId],
  );
}

export function useSavePolicy(projectId: string) {
  const adopt = useAdopt(projectId);
  return trpc.policy.save.useMutation({ onSuccess: (result) => adopt(result.policy) });
}

export function useImportYaml(projectId: string) {
  const adopt = useAdopt(projectId);
  return trpc.policy.importYaml.useMutation({ onSuccess: (result) => adopt(result.policy) });
}

/** Saved versions, newest first, in keyset pages; the built-in default (0) ends the list. */
export function usePolicyVersions(projectId: string) {
  return trpc.policy.versions.useInfiniteQuery(
    { projectId, limit: VERSIONS_PAGE_SIZE },
    { getNextPageParam: (last) => last.nextCursor ?? undefined, staleTime: Infinity },
  );
}

/** One saved version (immutable), e.g. either side of a diff. */
export function usePolicyVersion(projectId: string, version: number | null) {
  return trpc.policy.version.useQuery(
    { projectId, version: version ?? 0 },
    { enabled: version !== null && version >= 0, staleTime: Infinity },
  );
}

export type TryInput = RouterInputs["policy"]["try"];

/** "Try a request": what would decide it and why (nothing recorded); asked when the form is sent. */
export function useTryPolicy(input: TryInput | null) {
  return trpc.policy.try.useQuery(input ?? { agent: "-", tool: "-" }, {
    enabled: input !== null,
    staleTime: 0,
    gcTime: 0,
    retry: false,
  });
}
