"use client";
import { useCallback, useEffect, useRef, useState } from "react";

/**
 * Runs `fn` at most once per `ms`, trailing: a burst of pushes costs one refetch, and a steady
 * stream still refreshes every `ms`. Never runs on its own: only after a call.
 */
export function useTrailingThrottle(fn: () => void, ms = 500) {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(fn);
  useEffect(() => {
    latest.current = fn;
  }, [fn]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current();
    }, ms);
  }, [ms]);
}

/** `value`, once it has stopped changing for `ms` (for search boxes that query as you type). */
export function useDebounced<T>(value: T, ms = 250): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}
