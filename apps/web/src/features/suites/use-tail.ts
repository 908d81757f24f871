"use client";
import { useCallback, useEffect, useRef, useState } from "react";

/** One page of a list read forward by row id (`suite.results`, `suite.output`). */
export interface TailPage<T> {
  items: T[];
  nextAfterId: number | null;
}

/**
 * The rows of a list that only grows, oldest first: read from the start, then the rows after the last
 * one held whenever `expected` (a live count from the run's changes) says there are more. `fetchPage`
 * must change only with what it reads (the rows start over then).
 */
export function useTail<T extends { id: number }>(
  fetchPage: (afterId: number) => Promise<TailPage<T>>,
  expected: number | undefined,
) {
  const [rows, setRows] = useState<T[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const busy = useRef(false);
  const held = useRef<T[]>([]);
  // The count a read found nothing new for: no read again until the count moves (no request loop).
  const stalledAt = useRef<number | null>(null);
  // Bumped when the list starts over: a read still under way for the old one is dropped.
  const generation = useRef(0);

  useEffect(() => {
    generation.current++;
    busy.current = false;
    held.current = [];
    stalledAt.current = null;
    setRows([]);
    setError(null);
    setLoading(false);
  }, [fetchPage]);

  const fetchMore = useCallback(async () => {
    if (busy.current) return;
    const mine = generation.current;
    busy.current = true;
    setLoading(true);
    setError(null);
    const before = held.current.length;
    try {
      for (;;) {
        const page = await fetchPage(held.current.at(-1)?.id ?? 0);
        if (mine !== generation.current) return;
        held.current = [...held.current, ...page.items];
        setRows(held.current);
        if (page.nextAfterId === null) break;
      }
      if (held.current.length === before) stalledAt.current = expected ?? null;
    } catch (caught) {
      if (mine === generation.current) setError(caught);
    } finally {
      if (mine === generation.current) {
        busy.current = false;
        setLoading(false);
      }
    }
  }, [fetchPage, expected]);

  // `rows.length` in the deps: a read that ran while more rows came in is followed by another.
  useEffect(() => {
    // After a failure, only the retry button asks again (no loop of failing requests).
    if (expected === undefined || expected <= rows.length || loading || error) return;
    if (stalledAt.current === expected) return;
    void fetchMore();
  }, [expected, rows.length, loading, error, fetchMore]);

  return { rows, error, loading, retry: fetchMore };
}
