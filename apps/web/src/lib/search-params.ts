"use client";
import { useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useDebounced } from "./throttle";

/**
 * A page's view (filters, sort, range) kept in the URL's search params, so that a filtered view can
 * be shared, reloaded and restored with Back.
 *
 * History: each change the user makes on purpose (a select, a button) is one history entry
 * (`pushState`), so Back returns to the previous filter set; a text box typed into is one entry
 * per burst of typing, not one per keystroke (see `useSearchText`). Both go through the browser's
 * history API, which Next.js follows (`useSearchParams` sees the change) without asking the server
 * for the page again.
 *
 * Reading: a value that is missing or not one the page accepts is ignored and the default is used
 * (the URL is hand-editable and links outlive releases); a default is left out of the URL.
 */

/** How one value is read from and written to its search param. */
export interface ParamCodec<T> {
  read(raw: string | null): T;
  /** The param's text, or null to leave it out (the default). */
  write(value: T): string | null;
}

export type Codecs<T> = { [K in keyof T]: ParamCodec<T[K]> };

/** One of `values`, else `fallback`. */
export function oneOf<const V extends string, const D extends V | "">(
  values: readonly V[],
  fallback: D,
): ParamCodec<V | D> {
  return {
    read: (raw) => (raw !== null && (values as readonly string[]).includes(raw) ? (raw as V) : fallback),
    write: (value) => (value === fallback ? null : value),
  };
}

/** Free text up to `max` characters, trimmed; "" when missing or too long. */
export function text(max: number): ParamCodec<string> {
  return {
    read: (raw) => {
      const value = raw?.trim() ?? "";
      return value.length <= max ? value : "";
    },
    write: (value) => value.trim() || null,
  };
}

export type HistoryMode = "push" | "replace";

/** Writes `patch` into the current URL's search params (others, such as `project`, are kept). */
function writeParams<T>(codecs: Codecs<T>, patch: Partial<T>, mode: HistoryMode) {
  const params = new URLSearchParams(window.location.search);
  for (const key of Object.keys(patch) as (keyof T & string)[]) {
    const value = codecs[key].write(patch[key] as T[typeof key]);
    if (value === null) params.delete(key);
    else params.set(key, value);
  }
  const search = params.toString();
  if (`?${search}` === window.location.search || (search === "" && window.location.search === "")) return;
  const url = `${window.location.pathname}${search ? `?${search}` : ""}${window.location.hash}`;
  if (mode === "push") window.history.pushState(null, "", url);
  else window.history.replaceState(null, "", url);
}

/**
 * The values of `codecs` read from the URL, and a setter that writes some of them (one history
 * entry, pushed unless told otherwise). `codecs` must be a constant (module level).
 */
export function useSearchState<T>(codecs: Codecs<T>) {
  const params = useSearchParams();
  const values = useMemo(() => {
    const out = {} as T;
    for (const key of Object.keys(codecs) as (keyof T & string)[]) out[key] = codecs[key].read(params.get(key));
    return out;
  }, [codecs, params]);
  const set = useCallback(
    (patch: Partial<T>, mode: HistoryMode = "push") => writeParams(codecs, patch, mode),
    [codecs],
  );
  return [values, set] as const;
}

/**
 * A text box bound to one search param. What is typed shows at once; its trimmed text reaches the
 * URL after `ms` of quiet. The first write of a burst of typing pushes a history entry and the
 * next ones replace it while the URL is still the one written, so Back skips the keystrokes and
 * returns to the view before the search. When the URL changes otherwise (Back, a link), the box
 * shows the URL's text. Returns the box's text and its setter.
 */
export function useSearchText(value: string, write: (text: string, mode: HistoryMode) => void, ms = 250) {
  const [typed, setTyped] = useState(value);
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    // The URL moved: show its text, unless it is what the box already says.
    setShown(value);
    if (typed.trim() !== value) setTyped(value);
  }
  const settled = useDebounced(typed.trim(), ms);
  const latest = useRef({ value, write });
  const written = useRef<string | null>(null);
  useEffect(() => {
    latest.current = { value, write };
  });
  useEffect(() => {
    if (settled === latest.current.value) return;
    latest.current.write(settled, written.current === window.location.search ? "replace" : "push");
    written.current = window.location.search;
  }, [settled]);
  return [typed, setTyped] as const;
}
