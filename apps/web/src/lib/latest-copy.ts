/**
 * A query's `structuralSharing` that never lets an older copy of a live entity replace a newer one.
 * `order` gives a copy's position as numbers compared left to right (a time, then counts that only
 * grow…). Needed where a read and a live change cross: the refetch made when a feed opens can be
 * answered after a change the feed already delivered, and an entity that then changes no more (a
 * hanging suite, a quiet run) would go on showing the older copy.
 */
export function keepLatest<T>(order: (copy: T) => number[]): (held: unknown, next: unknown) => unknown {
  return (held, next) => {
    if (!held || !next) return next;
    const [a, b] = [order(held as T), order(next as T)];
    const i = a.findIndex((value, k) => value !== b[k]);
    return i >= 0 && a[i]! > b[i]! ? held : next;
  };
}
