"use client";
import type { ApprovalStatus } from "@tower/shared";
import { APPROVAL_STATUSES } from "@tower/shared/domain";
import { useMemo } from "react";
import { oneOf, text, useSearchState, type Codecs } from "~/lib/search-params";
import type { ApprovalFilters } from "./hooks";

/** The history's view as the URL holds it: `/approvals?status=denied&agentId=…`. */
export interface ApprovalView {
  status: ApprovalStatus | "";
  agentId: string;
}

/** The names and choices of `approval.list`'s input; a value it would refuse is ignored. */
const CODECS: Codecs<ApprovalView> = {
  status: oneOf(APPROVAL_STATUSES, ""),
  agentId: text(64),
};

const CLEARED = { status: "", agentId: "" } as const;

/** The history's filters, in the URL: each choice is one history entry. */
export function useApprovalFilters() {
  const [view, setView] = useSearchState(CODECS);
  const { status, agentId } = view;
  const filters = useMemo<ApprovalFilters>(
    () => ({ status: status || undefined, agentId: agentId || undefined }),
    [status, agentId],
  );
  return {
    view,
    set: setView,
    filters,
    filtered: Boolean(status || agentId),
    clear: () => setView(CLEARED),
  };
}

export type ApprovalFilterState = ReturnType<typeof useApprovalFilters>;
