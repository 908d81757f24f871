"use client";
import type { ActorType, AuditEvent, Decision } from "@tower/shared";
import type { InfiniteData } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { trpc, type RouterOutputs } from "~/lib/trpc";

export const AUDIT_PAGE_SIZE = 100;

export type TimeRange = "" | "1h" | "24h" | "7d" | "30d";
export const TIME_RANGES: Record<Exclude<TimeRange, "">, { label: string; ms: number }> = {
  "1h": { label: "Last hour", ms: 3_600_000 },
  "24h": { label: "Last 24 hours", ms: 86_400_000 },
  "7d": { label: "Last 7 days", ms: 7 * 86_400_000 },
  "30d": { label: "Last 30 days", ms: 30 * 86_400_000 },
};

export interface AuditFilters {
  operation?: string | undefined;
  actorType?: ActorType | undefined;
  decision?: Decision | undefined;
  agentId?: string | undefined;
  /** Epoch ms; set when the time range is chosen. */
  from?: number | undefined;
}

type AuditPage = RouterOutputs["audit"]["list"];

function listInput(projectId: string, filters: AuditFilters) {
  return {
    projectId,
    limit: AUDIT_PAGE_SIZE,
    ...(filters.operation ? { operation: filters.operation } : {}),
    ...(filters.actorType ? { actorType: filters.actorType } : {}),
    ...(filters.decision ? { decision: filters.decision } : {}),
    ...(filters.agentId ? { agentId: filters.agentId } : {}),
    ...(filters.from !== undefined ? { from: filters.from } : {}),
  };
}

/** The server's rule (`audit.list`), so a live row lands only where a refetch would put it. */
export function matchesAudit(row: AuditEvent, filters: AuditFilters): boolean {
  if (filters.operation && row.operation !== filters.operation) return false;
  if (filters.actorType && row.actorType !== filters.actorType) return false;
  if (filters.decision && row.decision !== filters.decision) return false;
  if (filters.agentId && row.agentId !== filters.agentId) return false;
  if (filters.from !== undefined && row.at < filters.from) return false;
  return true;
}

function prepend<P>(data: InfiniteData<AuditPage, P> | undefined, rows: AuditEvent[]) {
  if (!data || data.pages.length === 0) return data;
  const seen = new Set(data.pages.flatMap((p) => p.items.map((r) => r.id)));
  const fresh = rows.filter((r) => !seen.has(r.id)).sort((a, b) => b.id - a.id);
  if (fresh.length === 0) return data;
  const [first, ...rest] = data.pages;
  return { ...data, pages: [{ ...first!, items: [...fresh, ...first!.items] }, ...rest] };
}

/** `rows` (oldest first) newest first in front of `current`, skipping ids already there. */
function prependNew(current: AuditEvent[], rows: AuditEvent[]) {
  const seen = new Set(current.map((r) => r.id));
  return [...rows.filter((r) => !seen.has(r.id)).reverse(), ...current];
}

/**
 * The audit trail, newest first, in keyset pages, with a live tail: rows appended after the list
 * loaded arrive through `audit.onAppend` (resumed from the newest row loaded, so none is missed)
 * and are prepended when they match the filters. While paused, they wait in `waiting`.
 */
export function useAuditTrail(projectId: string, filters: AuditFilters, paused: boolean) {
  const utils = trpc.useUtils();
  const input = useMemo(() => listInput(projectId, filters), [projectId, filters]);
  const key = JSON.stringify(input);
  const query = trpc.audit.list.useInfiniteQuery(input, {
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: Infinity, // the live tail keeps it fresh
  });
  const [waiting, setWaiting] = useState<AuditEvent[]>([]);
  // Where the tail resumes: fixed when a filter's first page loads, so prepending rows does not resubscribe.
  const [resume, setResume] = useState<{ key: string; id: string | null } | null>(null);
  const firstId = query.data?.pages[0]?.items[0]?.id;
  const loaded = query.isSuccess;
  useEffect(() => {
    if (loaded && resume?.key !== key) {
      setResume({ key, id: firstId !== undefined ? String(firstId) : null });
      setWaiting([]);
    }
  }, [loaded, key, firstId, resume?.key]);

  const insert = useCallback(
    (rows: AuditEvent[]) => utils.audit.list.setInfiniteData(input, (data) => prepend(data, rows)),
    [utils, input],
  );

  trpc.audit.onAppend.useSubscription(
    { projectId, lastEventId: resume?.id ?? null },
    {
      enabled: resume !== null && resume.key === key,
      onData: (tracked) => {
        const rows: AuditEvent[] = tracked.data.filter((row) => matchesAudit(row, filters));
        if (rows.length === 0) return;
        if (paused) setWaiting((current) => prependNew(current, rows));
        else insert(rows);
      },
    },
  );

  /** Moves the rows that arrived while paused into the list. */
  const showWaiting = useCallback(() => {
    if (waiting.length > 0) insert(waiting);
    setWaiting([]);
  }, [waiting, insert]);

  useEffect(() => {
    if (!paused && waiting.length > 0) showWaiting();
  }, [paused, waiting, showWaiting]);

  const rows = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data]);
  return { query, rows, waiting: waiting.length, showWaiting };
}

/** Counts by operation and agent over the last 30 days: the choices of the filter inputs. */
export function useAuditFacets(projectId: string) {
  const [to] = useState(() => Math.ceil(Date.now() / 86_400_000) * 86_400_000);
  return trpc.audit.stats.useQuery({ projectId, from: to - 31 * 86_400_000, to, bucket: "day" }, { staleTime: 60_000 });
}

/** One row with its hash-chain links (lists and the live tail leave them out); rows never change. */
export function useAuditRecord(projectId: string, id: number) {
  return trpc.audit.get.useQuery({ projectId, id }, { staleTime: Infinity });
}

/** Walks the hash chain on demand (the button), never by itself. */
export function useVerifyChain(projectId: string) {
  return trpc.audit.verify.useQuery({ projectId }, { enabled: false, staleTime: 0, gcTime: 0, retry: false });
}
