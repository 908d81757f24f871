import type { ClientRouter as AppRouter } from "@tower/api/client";
import type { TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";

/**
 * Sends a call at once, as a request of its own, while no other call through this link waits for
 * an answer; while some do, batches it (tRPC's batch link holds calls for a timer turn, a
 * millisecond or more, to gather them). A lone call (an agent asking before it acts, an app queuing
 * one run) then pays no batching delay, and a burst still travels as a few batched requests
 * instead of a connection each, which under load made a slow server slower.
 */
export function aloneWhenIdle(alone: TRPCLink<AppRouter>, batched: TRPCLink<AppRouter>): TRPCLink<AppRouter> {
  return (runtime) => {
    const sendAlone = alone(runtime);
    const sendBatched = batched(runtime);
    let waiting = 0;
    return ({ op, next }) =>
      observable((observer) => {
        const send = waiting === 0 ? sendAlone : sendBatched;
        waiting++;
        let answered = false;
        const settle = () => {
          if (answered) return;
          answered = true;
          waiting--;
        };
        const subscription = send({ op, next }).subscribe({
          next: (value) => observer.next(value),
          error: (error) => {
            settle();
            observer.error(error);
          },
          complete: () => {
            settle();
            observer.complete();
          },
        });
        return () => {
          settle();
          subscription.unsubscribe();
        };
      });
  };
}
