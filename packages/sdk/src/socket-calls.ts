import type { ClientRouter as AppRouter } from "@tower/api/client";
import { TRPCClientError, type Operation, type TRPCLink } from "@trpc/client";
import { observable, type Observer } from "@trpc/server/observable";

/**
 * Calls on the open WebSocket at once, at most. The server lets 100 calls wait on one connection
 * and refuses the next (a refused check is a denial); subscriptions count while they start, so
 * these keep well under that, and any beyond go over HTTP.
 */
export const MAX_CALLS_ON_SOCKET = 50;

/**
 * What rides the socket: an agent's policy checks (it asks before every action) and the reports of
 * its runs (`agent.work`: several a run). Both are safe to send again over HTTP when the socket
 * fails before the answer: a check changes nothing but its audit row, and a report carries an id
 * that Tower answers as stored when it has it already.
 */
const ON_SOCKET: ReadonlySet<string> = new Set(["policy.check", "run.report"]);

/** Ids of the calls sent here: strings, where tRPC's own client numbers its calls, so they never meet. */
const ID_PREFIX = "call-";

/** What the socket answers a call: tRPC's response message. */
type Answer = { id: string; result: { type: "data"; data: unknown } } | { id: string; error: object };
/** A call sent and not answered yet: who hears the answer, and what to do if the socket goes first. */
interface Waiting {
  observer: Observer<{ result: { type: "data"; data: unknown } }, TRPCClientError<AppRouter>>;
  failed: () => void;
}

/**
 * Which calls ride the live WebSocket (`ON_SOCKET`), and how: while it is open (a running or
 * working agent holds it for its kill switch and its runs) and fewer than `MAX_CALLS_ON_SOCKET` are
 * already on it. A call on the open socket skips what each HTTP request costs both sides (parsing,
 * the key's lookup, the answer's headers; `fetch` in the agent): about a quarter of the server's
 * work for a check, and a third of an agent's CPU per run for reports.
 *
 * A call is written to the socket as it is made, in tRPC's own message format: tRPC's WebSocket
 * client holds every call for a timer turn to batch it (at least a millisecond, more on a busy
 * process; no option turns it off), which was most of a check's round trip. While the socket is
 * closed a call goes over HTTP, so an answer never waits for a reconnect.
 */
export function socketCalls(openSocket: () => WebSocket | null) {
  let onSocket = 0;
  let nextId = 0;
  const waiting = new Map<string, Waiting>();
  const rides = (op: Operation) => op.type === "mutation" && ON_SOCKET.has(op.path);

  /** Once per socket: answers to the calls sent on it, and their failure when it closes first. */
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
    takes: (op: Operation) => rides(op) && openSocket() !== null && onSocket < MAX_CALLS_ON_SOCKET,
    /**
     * Goes first on the socket's side of the split: sends each such call itself and passes anything
     * else on. A call whose socket failed before any answer (closed as it was sent, say) is made
     * once more by `overHttp`. Asking twice costs little: a check changes nothing but its audit row
     * and finds the same pending approval, and one that used an approval is answered the same again
     * (the two carry the same `checkId`); a report Tower stored already is answered as stored.
     */
    link:
      (overHttp: TRPCLink<AppRouter>): TRPCLink<AppRouter> =>
      (runtime) => {
        const http = overHttp(runtime);
        return ({ op, next }) =>
          observable((observer) => {
            if (!rides(op)) return next(op).subscribe(observer);
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
