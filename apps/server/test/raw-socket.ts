import { once } from "node:events";
import WebSocket from "ws";

/** A tRPC message from the server, as it travels. */
export interface WireMessage {
  id: number | null;
  result?: { type: "started" | "data" | "stopped"; id?: string; data?: unknown };
  error?: { message: string; data?: { code?: string } };
}

/**
 * A bare tRPC client on one WebSocket: no reconnects, no batching, every message kept, so a test
 * sees the wire. It authenticates with `apiKey` in the connection parameters, as the SDK does.
 * With `onData`, subscription data goes to it instead of being kept (for streams of megabytes).
 */
export async function openRawSocket(url: string, apiKey: string, onData?: (message: WireMessage) => void) {
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/trpc?connectionParams=1`);
  const messages: WireMessage[] = [];
  const queries = new Set<number>();
  const watchers = new Set<() => void>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  socket.on("error", () => {}); // a socket the server destroys reports ECONNRESET: `closed` says it
  socket.on("message", (data: Buffer) => {
    const text = data.toString();
    if (text === "PING") return socket.send("PONG");
    const message = JSON.parse(text) as WireMessage;
    if (onData && message.result?.type === "data") return onData(message);
    messages.push(message);
    for (const watcher of watchers) watcher();
  });
  await once(socket, "open");
  socket.send(JSON.stringify({ method: "connectionParams", data: { apiKey } }));

  /** Resolves with the first message (from the start) that `match` accepts. */
  function waitFor(match: (message: WireMessage) => boolean, what: string, timeoutMs = 10_000) {
    return new Promise<WireMessage>((resolve, reject) => {
      const check = () => {
        const found = messages.find(match);
        if (!found) return false;
        watchers.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`Timed out waiting for ${what}`));
      }, timeoutMs);
      if (!check()) watchers.add(check);
    });
  }

  return {
    socket,
    messages,
    closed,
    send(message: unknown) {
      socket.send(JSON.stringify(message));
    },
    query(id: number, path: string, input: unknown) {
      queries.add(id);
      socket.send(JSON.stringify({ id, method: "query", params: { path, input } }));
    },
    subscribe(id: number, path: string, input: unknown) {
      socket.send(JSON.stringify({ id, method: "subscription", params: { path, input } }));
    },
    stop(id: number) {
      socket.send(JSON.stringify({ id, method: "subscription.stop" }));
    },
    /** The answer to call `id`: its result (for a subscription, "started"), or its error. */
    answer(id: number) {
      const answers = (m: WireMessage) => m.error !== undefined || queries.has(id) || m.result?.type !== "data";
      return waitFor((m) => m.id === id && answers(m), `an answer to call ${id}`);
    },
    waitFor,
    /** The data messages of subscription `id`, in order. */
    data(id: number) {
      return messages.filter((m) => m.id === id && m.result?.type === "data");
    },
    close() {
      socket.close();
      return closed;
    },
  };
}

export type RawSocket = Awaited<ReturnType<typeof openRawSocket>>;
