import type { ClientRouter as AppRouter } from "@tower/api/client";
import { TRPCClientError, type Operation, type TRPCLink } from "@trpc/client";
import { observable, type Observer } from "@trpc/server/observable";

/**
 * Policy checks on the open WebSocket at once, at most. The server lets 100 calls wait on one
 * connection and refuses the next (a refused check is a denial); subscriptions count while they
 * start, so checks keep well under that, and any beyond go over HTTP.
 */
export const MAX_CHECKS_ON_SOCKET = 50;

/** Ids of the checks sent here: strings, where tRPC's own client numbers its calls, so they never meet. */
const ID_PREFIX = "check-";

/** What the socket answers a check: tRPC's response message. */
type Answer = { id: string; result: { type: "data"; data: unknown } } | { id: string; error: object };
/** A check sent and not answered yet: who hears the answer, and what to do if the socket goes first. */
interface Waiting {
  observer: Observer<{ result: { type: "data"; data: unknown } }, TRPCClientError<AppRouter>>;
  failed: () => void;
}

/**
 * Which policy checks ride the live WebSocket, and how: while it is open (a running agent holds it
 * for its kill switch) and fewer than `MAX_CHECKS_ON_SOCKET` are already on it. An agent asks
 * before every action, and a call on the open socket skips what each HTTP request costs the server
 * (parsing, the key's lookup, the answer's headers): about a quarter of its work for a check.
 *
 * A check is written to the socket as it is asked, in tRPC's own message format: tRPC's WebSocket
 * client holds every call for a timer turn to batch it (at least a millisecond, more on a busy
 * process; no option turns it off), which was most of a check's round trip. While the socket is
 * closed a check goes over HTTP, so an answer never waits for a reconnect.
 */
export function socketChecks(openSocket: () => WebSocket | null) {
  let onSocket = 0;
  let nextId = 0;
  const waiting = new Map<string, Waiting>();
  const isCheck = (op: Operation) => op.type === "mutation" && op.path === "policy.check";

  /** Once per socket: answers to the checks sent on it, and their failure when it closes first. */
  const listen = (socket: WebSocket, ids: Set<string>) => {
    socket.addEventListener("message", ({ data }) => {
      if (typeof data !== "string" || !data.includes(`"${ID_PREFIX}`)) return;
      let answer: Answer;
      try {
        answer = JSON.parse(data) as Answer;
      } catch {
        return;
      }
      const check = waiting.get(answer.id);
      if (!check) return;
      waiting.delete(answer.id);
      ids.delete(answer.id);
      if ("error" in answer) return check.observer.error(TRPCClientError.from(answer));
      check.observer.next({ result: answer.result });
      check.observer.complete();
    });
    const fail = () => {
      for (const id of ids) waiting.get(id)?.failed();
      ids.clear();
    };
    socket.addEventListener("close", fail);
    socket.addEventListener("error", fail);
  };
  const idsBySocket = new WeakMap<WebSocket, Set<string>>();

  return {
    takes: (op: Operation) => isCheck(op) && openSocket() !== null && onSocket < MAX_CHECKS_ON_SOCKET,
    /**
     * Goes first on the socket's side of the split: sends each check itself and passes anything
     * else on. A check whose socket failed before any answer (closed as it was sent, say) is asked
     * once more by `overHttp`. Asking twice costs little: a check changes nothing but its audit row
     * and finds the same pending approval, and one that used an approval is answered the same again
     * (the two carry the same `checkId`).
     */
    link:
      (overHttp: TRPCLink<AppRouter>): TRPCLink<AppRouter> =>
      (runtime) => {
        const http = overHttp(runtime);
        return ({ op, next }) =>
          observable((observer) => {
            if (!isCheck(op)) return next(op).subscribe(observer);
            onSocket++;
            const id = `${ID_PREFIX}${++nextId}`;
            let retry: { unsubscribe(): void } | undefined;
            const viaHttp = () => {
              waiting.delete(id);
              retry = http({ op, next: () => observable(() => undefined) }).subscribe(observer);
            };
            const socket = openSocket();
            let ids: Set<string> | undefined;
            if (!socket) viaHttp();
            else {
              ids = idsBySocket.get(socket);
              if (!ids) {
                ids = new Set();
                idsBySocket.set(socket, ids);
                listen(socket, ids);
              }
              waiting.set(id, { observer, failed: viaHttp });
              ids.add(id);
              try {
                socket.send(JSON.stringify({ id, method: "mutation", params: { path: op.path, input: op.input } }));
              } catch {
                ids.delete(id);
                viaHttp();
              }
            }
            return () => {
              onSocket--;
              waiting.delete(id);
              ids?.delete(id);
              retry?.unsubscribe();
            };
          });
      },
  };
}
