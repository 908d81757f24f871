/**
 * `iterable`, calling `release` once when its iteration ends however it ends: done, stopped by the
 * consumer (`return`), or failed. A subscription counted when it starts is uncounted this way when
 * it stops, whether the server's stream or the client ended it.
 */
export function releaseOnEnd<T>(iterable: AsyncIterable<T>, release: () => void): AsyncIterable<T> {
  let released = false;
  const releaseOnce = () => {
    if (released) return;
    released = true;
    release();
  };
  return {
    [Symbol.asyncIterator]() {
      const iterator = iterable[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            const step = await iterator.next();
            if (step.done) releaseOnce();
            return step;
          } catch (error) {
            releaseOnce();
            throw error;
          }
        },
        async return(value?: unknown) {
          releaseOnce();
          return (await iterator.return?.(value)) ?? { done: true, value: undefined };
        },
        async throw(error?: unknown) {
          releaseOnce();
          if (iterator.throw) return iterator.throw(error);
          throw error;
        },
      };
    },
  };
}
