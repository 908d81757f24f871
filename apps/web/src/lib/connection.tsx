"use client";
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
