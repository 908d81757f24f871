import type { Outbox } from "@tower/api";
import { LIMITS } from "@tower/shared";
import WebSocket from "ws";

/** Unsent data below which a replaying stream sends its next page: well under the cut-off. */
const LOW_WATER_BYTES = LIMITS.wsBufferedBytes / 4;
/** ws emits no event when its send buffer drains, so a waiting replay looks this often. */
const POLL_MS = 10;

const hasRoom = (socket: WebSocket) => socket.readyState !== WebSocket.OPEN || socket.bufferedAmount <= LOW_WATER_BYTES;

/** A socket's send side for live streams (see `Outbox`): ready again once the client has read most of it. */
export function outboxOf(socket: WebSocket): Outbox {
  return {
    drained() {
      if (hasRoom(socket)) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setInterval(() => {
          if (!hasRoom(socket)) return;
          clearInterval(timer);
          resolve();
        }, POLL_MS);
      });
    },
  };
}
