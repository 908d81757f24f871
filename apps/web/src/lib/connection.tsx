"use client";
import type { TRPCWebSocketClient } from "@trpc/client";
import { createContext, useContext } from "react";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "offline";

export const ConnectionContext = createContext<ConnectionStatus>("connecting");

export function useConnectionStatus(): ConnectionStatus {
  return useContext(ConnectionContext);
}

const LABELS: Record<ConnectionStatus, string> = {
  connecting: "Connecting",
  connected: "Live",
  reconnecting: "Reconnecting",
  offline: "Offline",
};

export function ConnectionBadge() {
  const status = useConnectionStatus();
  return (
    <span className={`conn conn-${status}`} role="status" aria-live="polite" title={`Live updates: ${LABELS[status]}`}>
      <span className="conn-dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}

const isOnline = () => typeof navigator === "undefined" || navigator.onLine !== false;

/**
 * Delays between reconnection attempts: 0.5 s, 1 s, 2 s … capped at 15 s, with jitter so that a
 * fleet of tabs does not reconnect in step. While the browser is offline an attempt fails at once
 * without reaching any server, so it is retried every second instead, and the first attempt after
 * the network returns starts at once: the socket is back as soon as the network is.
 */
export function createRetryDelay() {
  let networkReturned = false;
  const delay = (attempt: number) => {
    if (networkReturned) {
      networkReturned = false;
      return 0;
    }
    if (!isOnline()) return 1_000;
    return Math.min(500 * 2 ** attempt, 15_000) * (0.75 + Math.random() * 0.5);
  };
  return Object.assign(delay, {
    /** Called on the browser's `online` event. */
    networkReturned() {
      networkReturned = true;
    },
  });
}

export type RetryDelay = ReturnType<typeof createRetryDelay>;

/** How long a socket that looks open may take to answer a ping after the network returned. */
const PROBE_MS = 3_000;

/**
 * Follows the real state of the live connection: the WebSocket's state, and the browser's
 * `online`/`offline` events (a socket can survive a short outage, or look open while it is dead).
 * Offline is shown while the browser says so; when the network returns the status is the socket's
 * again, a socket that looks open is pinged (and replaced at once if it does not answer), and a
 * socket that is down reconnects without waiting out its backoff.
 */
export function watchConnection(
  ws: TRPCWebSocketClient,
  retryDelay: RetryDelay,
  onStatus: (status: ConnectionStatus) => void,
): () => void {
  let everConnected = false;
  let online = isOnline();
  let state = ws.connectionState.get();
  let probe: ReturnType<typeof setTimeout> | undefined;

  const publish = () => {
    if (!online) return onStatus("offline");
    if (state.state === "pending") {
      everConnected = true;
      return onStatus("connected");
    }
    if (state.state === "connecting") return onStatus(everConnected || state.error ? "reconnecting" : "connecting");
    onStatus("offline");
  };

  /** Pings a socket that looks open; closes it (so that it reconnects at once) if it stays silent. */
  const checkSocket = () => {
    const socket = ws.connection?.state === "open" ? ws.connection.ws : null;
    if (!socket) return;
    clearTimeout(probe);
    const answered = () => {
      clearTimeout(probe);
      socket.removeEventListener("message", answered);
    };
    socket.addEventListener("message", answered);
    probe = setTimeout(() => {
      socket.removeEventListener("message", answered);
      if (socket.readyState !== WebSocket.OPEN) return;
      retryDelay.networkReturned();
      socket.close(3000, "no answer after the network returned");
    }, PROBE_MS);
    try {
      socket.send("PING");
    } catch {
      // closing already: the client reconnects by itself
    }
  };

  const sub = ws.connectionState.subscribe({
    next(next) {
      state = next;
      publish();
    },
  });
  const goOffline = () => {
    online = false;
    publish();
  };
  const goOnline = () => {
    online = true;
    publish();
    if (state.state === "pending") checkSocket();
    else retryDelay.networkReturned();
  };
  window.addEventListener("offline", goOffline);
  window.addEventListener("online", goOnline);
  publish();
  return () => {
    clearTimeout(probe);
    sub.unsubscribe();
    window.removeEventListener("offline", goOffline);
    window.removeEventListener("online", goOnline);
  };
}
