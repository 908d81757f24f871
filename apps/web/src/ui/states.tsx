"use client";
import type { ReactNode } from "react";
import { errorMessage } from "~/lib/errors";

/**
 * The three states a view shows instead of its data, one component each, so that every page says
 * "loading", "failed" and "nothing here" the same way; `QueryView` picks among them for a query.
 */

/** Data on its way: a muted line ("Loading agents…"), or with `page` a page's outline (no layout shift). */
export function Loading({ label = "Loading…", page = false }: { label?: string; page?: boolean }) {
  if (!page) return <p className="loading">{label}</p>;
  return (
    <div className="page-skeleton" aria-busy="true">
      <p className="sr-only">{label}</p>
      <span className="skeleton skeleton-title" aria-hidden="true" />
      <span className="skeleton skeleton-block" aria-hidden="true" />
      <span className="skeleton skeleton-block" aria-hidden="true" />
    </div>
  );
}

/**
 * A failure, announced: "<context>: <the error's message>", the message alone, or the context alone
 * when there is no error object; `children` (a retry button) follow the text.
 */
export function ErrorText({ error, context, children }: { error?: unknown; context?: string; children?: ReactNode }) {
  const message = error === undefined ? null : errorMessage(error);
  return (
    <p className="error" role="alert">
      {context !== undefined && message !== null ? `${context}: ` : context}
      {message}
      {children}
    </p>
  );
}

/**
 * Nothing to show. A dashed box (a page's list), with an optional second line saying what to do;
 * `line` is the quiet form inside a card.
 */
export function Empty({ children, detail, line = false }: { children: ReactNode; detail?: ReactNode; line?: boolean }) {
  if (line) return <p className="muted">{children}</p>;
  if (detail === undefined) return <p className="empty">{children}</p>;
  return (
    <div className="empty">
      <p>{children}</p>
      <p className="muted">{detail}</p>
    </div>
  );
}

interface QueryLike<T> {
  isPending: boolean;
  error: unknown;
  data: T | undefined;
}

const isEmptyList = (data: unknown) => Array.isArray(data) && data.length === 0;

/**
 * A query's loading, error or empty state, else its data through `children`. `failure` prefixes the
 * error's message ("Could not load teams"); `empty` is shown when `isEmpty(data)` (by default: an
 * empty array).
 */
export function QueryView<T>({
  query,
  loading,
  failure,
  empty,
  isEmpty = isEmptyList,
  children,
}: {
  query: QueryLike<T>;
  loading: string;
  failure?: string;
  empty?: ReactNode;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading label={loading} />;
  if (query.error || query.data === undefined) return <ErrorText error={query.error} context={failure} />;
  if (empty !== undefined && isEmpty(query.data)) return <>{empty}</>;
  return <>{children(query.data)}</>;
}

/** "Load more" under a keyset-paged list while the query has another page; off while one loads. */
export function LoadMore({
  query,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage(): unknown };
}) {
  if (!query.hasNextPage) return null;
  return (
    <div className="load-more">
      <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
        {query.isFetchingNextPage ? "Loading…" : "Load more"}
      </button>
    </div>
  );
}
