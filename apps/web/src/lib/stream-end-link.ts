import type { AppRouter } from "@tower/api";
import type { TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";

/**
 * Calls `onServerEnd` when the server ends a live stream the page had not stopped, or refuses one
 * as unauthorized. Tower ends a page's streams when its session is signed out (by the person
 * elsewhere, or by an admin) or its membership removed; the socket itself stays open, so without
 * this the page went on showing "Live" while nothing arrived. The shell then asks who is signed
 * in and goes to sign-in.
 */
export function streamEndLink(onServerEnd: () => void): TRPCLink<AppRouter> {
  return () =>
    ({ next, op }) =>
      observable((observer) => {
        let stopped = false;
        const subscription = next(op).subscribe({
          next: (value) => observer.next(value),
          error: (error) => {
            if (op.type === "subscription" && error.data?.code === "UNAUTHORIZED") onServerEnd();
            observer.error(error);
          },
          complete: () => {
            if (op.type === "subscription" && !stopped) onServerEnd();
            observer.complete();
          },
        });
        return () => {
          stopped = true;
          subscription.unsubscribe();
        };
      });
}
