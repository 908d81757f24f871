import type { ClientRouter as AppRouter } from "@tower/api/client";
import type { Operation, TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";

/**
 * Policy checks on the open WebSocket at once, at most. The server lets 100 calls wait on one
 * connection and refuses the next (a refused check is a denial); subscriptions count while they
 * start, so checks keep well under that, and any beyond go over HTTP.
 */
export const MAX_CHECKS_ON_SOCKET = 50;

/**
 * Which policy checks ride the live WebSocket: while it is open (a running agent holds it for its
 * kill switch) and fewer than `MAX_CHECKS_ON_SOCKET` are already on it. An agent asks before every
 * action, and a call on the open socket skips what each HTTP request costs the server (parsing,
 * the key's lookup, the answer's headers): about a quarter of its work for a check. While the
 * socket is closed a check goes over HTTP, so an answer never waits for a reconnect.
 */
export function socketChecks(isOpen: () => boolean) {
  let onSocket = 0;
  const isCheck = (op: Operation) => op.type === "mutation" && op.path === "policy.check";
  return {
    takes: (op: Operation) => isCheck(op) && isOpen() && onSocket < MAX_CHECKS_ON_SOCKET,
    /**
     * Goes before the WebSocket link: counts the checks on it until each is answered or given up,
     * and sends a check whose socket failed before any answer (closed as it was sent, say) once more
     * by `overHttp`. Asking twice is harmless: a check changes nothing but its audit row, and the
     * same request finds the same pending approval.
     */
    link:
      (overHttp: TRPCLink<AppRouter>): TRPCLink<AppRouter> =>
      (runtime) => {
        const http = overHttp(runtime);
        return ({ op, next }) =>
          observable((observer) => {
            if (!isCheck(op)) return next(op).subscribe(observer);
            onSocket++;
            let answered = false;
            let retry: { unsubscribe(): void } | undefined;
            const subscription = next(op).subscribe({
              next: (value) => {
                answered = true;
                observer.next(value);
              },
              error: (error) => {
                // No `data`: the server never answered (a refusal or failure of its own carries it).
                if (answered || error.data) return observer.error(error);
                retry = http({ op, next: () => observable(() => undefined) }).subscribe(observer);
              },
              complete: () => observer.complete(),
            });
            return () => {
              onSocket--;
              subscription.unsubscribe();
              retry?.unsubscribe();
            };
          });
      },
  };
}
