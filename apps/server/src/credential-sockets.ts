import { credentialIdOf, type Caller } from "@tower/api";
import WebSocket from "ws";

/** Close code for a socket refused because its credential holds too many (4000–4999 are the application's). */
export const TOO_MANY_SOCKETS_CLOSE = 4029;

/**
 * Counts the open WebSockets of each API key and signed-in session, so that one credential cannot
 * hold the server's memory with sockets without end. A socket over the cap is closed with
 * `TOO_MANY_SOCKETS_CLOSE` and a reason saying so (its client's reconnects back off). Anonymous
 * sockets have no credential to count by; they can call nothing that streams.
 */
export function createCredentialSockets(limit: number) {
  const open = new Map<string, number>();
  return {
    /** Whether `socket`, just authenticated as `caller`, may stay open; counted until it closes. */
    admit(caller: Caller, socket: WebSocket): boolean {
      const id = credentialIdOf(caller);
      if (id === null || socket.readyState !== WebSocket.OPEN) return true;
      const count = open.get(id) ?? 0;
      if (count >= limit) {
        socket.close(TOO_MANY_SOCKETS_CLOSE, `Too many connections with this credential (at most ${limit})`);
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
