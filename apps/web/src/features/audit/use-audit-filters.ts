"use client";
import type { ActorType, Decision } from "@tower/shared";
import { ACTOR_TYPES, DECISIONS, LIMITS } from "@tower/shared/domain";
import { useMemo } from "react";
import { oneOf, text, useSearchState, useSearchText, type Codecs } from "~/lib/search-params";
import { TIME_RANGES, type AuditFilters, type TimeRange } from "./hooks";

/** The audit page's view as the URL holds it: `/audit?decision=denied&agentId=…&range=24h`. */
export interface AuditView {
  operation: string;
  actorType: ActorType | "";
  decision: Decision | "";
  agentId: string;
  range: TimeRange;
}

/**
 * The names, choices and limits of `audit.list`'s input (AuditListInputSchema), from the same
 * zod-free constants its enums are built from; a value it would refuse is ignored. The time range
 * is kept as its name ("24h"), and `from` is counted back from when the page reads it.
 */
const CODECS: Codecs<AuditView> = {
  operation: text(LIMITS.shortTextLength),
  actorType: oneOf(ACTOR_TYPES, ""),
  decision: oneOf(DECISIONS, ""),
  agentId: text(64),
  range: oneOf(Object.keys(TIME_RANGES) as Exclude<TimeRange, "">[], ""),
};

const CLEARED = { operation: "", actorType: "", decision: "", agentId: "", range: "" } as const;

/** The audit trail's filters, in the URL; the operation box is typed into and reaches the URL once typing pauses. */
export function useAuditFilters() {
  const [view, setView] = useSearchState(CODECS);
  const [operationText, setOperationText] = useSearchText(view.operation, (operation, mode) =>
    setView({ operation }, mode),
  );
  const { operation, actorType, decision, agentId, range } = view;
  // The range's start, counted from when it was chosen (or the page opened with it).
  const from = useMemo(() => (range ? Date.now() - TIME_RANGES[range].ms : undefined), [range]);
  const filters = useMemo<AuditFilters>(
    () => ({
      operation: operation || undefined,
      actorType: actorType || undefined,
      decision: decision || undefined,
      agentId: agentId || undefined,
      from,
    }),
    [operation, actorType, decision, agentId, from],
  );

  /** Every filter back to "any", as one history entry. */
  function clear() {
    setOperationText("");
    setView(CLEARED);
  }

  return {
    view,
    set: setView,
    operationText,
    setOperationText,
    filters,
    filtered: Boolean(operation || actorType || decision || agentId || range),
    clear,
  };
}

export type AuditFilterState = ReturnType<typeof useAuditFilters>;
