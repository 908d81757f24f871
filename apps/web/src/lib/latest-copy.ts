import { replaceEqualDeep, type InfiniteData } from "@tanstack/react-query";

// A query's `structuralSharing` that never lets an older copy of a live entity replace a newer one.
// Needed where a read and a live change cross: the refetch made when a feed opens can be answered
// after a change the feed already delivered, and an entity that then changes no more (a hanging
// suite, a quiet run) would go on showing the older copy.

/** `a` is a later copy than `b`: its `order` (numbers compared left to right) is greater. */
function isLater<T>(order: (copy: T) => number[], a: T, b: T): boolean {
  const [x, y] = [order(a), order(b)];
  const i = x.findIndex((value, k) => value !== y[k]);
  return i >= 0 && x[i]! > y[i]!;
}

/**
 * For one entity's query: `next`, unless it is older than what is held. `order` gives a copy's
 * position (a time, then counts that only grow…).
 */
export function keepLatest<T>(order: (copy: T) => number[]): (held: unknown, next: unknown) => unknown {
  return (held, next) => {
    if (!held || !next) return next;
    return isLater(order, held as T, next as T) ? held : replaceEqualDeep(held, next);
  };
}

interface Page<T> {
  items: T[];
}

/**
 * For a live list's pages (an infinite query): the pages read, with each row that is older than the
 * copy already held replaced by that copy, or left out when that copy no longer `matches` the
 * list's filters. (A row the read missed altogether comes back with its next change.)
 */
export function keepLatestInPages<T extends { id: string }>(
  order: (copy: T) => number[],
  matches: (copy: T) => boolean,
): (held: unknown, next: unknown) => unknown {
  return (held, next) => {
    const [before, read] = [held as InfiniteData<Page<T>> | undefined, next as InfiniteData<Page<T>> | undefined];
    if (!before?.pages || !read?.pages) return next;
    const heldById = new Map(before.pages.flatMap((page) => page.items).map((item) => [item.id, item]));
    const pages = read.pages.map((page) => ({
      ...page,
      items: page.items.flatMap((item) => {
        const kept = heldById.get(item.id);
        if (!kept || !isLater(order, kept, item)) return [item];
        return matches(kept) ? [kept] : [];
      }),
    }));
    return replaceEqualDeep(held, { ...read, pages });
  };
}
