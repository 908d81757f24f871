import { credentialIdOf, type Caller } from "@tower/api";
import WebSocket from "ws";

/** Close code for a socket refused because its credential holds too many (4000–4999 are the application's). */
export const TOO_MANY_SOCKETS_CLOSE = 4029;
/** Close code for a socket that said it would send connection parameters and did not, in time. */
export const NO_CONNECTION_PARAMS_CLOSE = 4408;

/**
 * Counts the open WebSockets of each API key and signed-in session, so that one credential cannot
 * hold the server's memory with sockets without end. A socket over the cap is closed with
 * `TOO_MANY_SOCKETS_CLOSE` and a reason saying so (its client's reconnects back off). Anonymous
 * sockets (no key, no session: they can call nothing that streams) are counted by the client's
 * address instead, so that nobody can hold the server's file descriptors with them.
 */
export function createCredentialSockets(limit: number) {
  const open = new Map<string, number>();
  const admitted = new WeakSet<WebSocket>();
  return {
    /** Whether `socket` was admitted (its context made: it sent its connection parameters, if it said it would). */
    admitted: (socket: WebSocket) => admitted.has(socket),
    /** Whether `socket`, just authenticated as `caller` from `address`, may stay open; counted until it closes. */
    admit(caller: Caller, socket: WebSocket, address: string | null | undefined): boolean {
      admitted.add(socket);
      if (socket.readyState !== WebSocket.OPEN) return true;
      const credential = credentialIdOf(caller);
      const id = credential ?? `anonymous from ${address ?? "an unknown address"}`;
      const count = open.get(id) ?? 0;
      if (count >= limit) {
        const whose = credential === null ? "without a credential from this address" : "with this credential";
        socket.close(TOO_MANY_SOCKETS_CLOSE, `Too many connections ${whose} (at most ${limit})`);
        return false;
      }
      open.set(id, count + 1);
      socket.once("close", () => {
        const left = (open.get(id) ?? 1) - 1;
        if (left > 0) open.set(id, left);
        else open.delete(id);
      });
      return true;
    },
  };
}
